/**
 * Falco's `falco.yaml` as far as it shapes loading, matching and outputs: read from `-c FILE`
 * (or Falco's stock configuration when there is none), then `-o key=value` options in order,
 * then typed and checked. Every invalid value is one ConfigError naming the key.
 */
import { InputFileError, MAX_CONFIG_FILE, readRegularText } from '../util/input-file.js';
import {
  applyOption,
  cloneNode,
  ConfigError,
  getBool,
  getNode,
  getNumber,
  getString,
  getStringList,
  isMapNode,
  parseConfigText,
  type ConfigMap,
  type ConfigNode,
} from './tree.js';
import { parsePriority, PRIORITY_DEBUG, type Priority } from './priority.js';

/**
 * The part of Falco's stock /etc/falco/falco.yaml that tsfalco reads. Used when there is no -c,
 * so that tsfalco then behaves as Falco does with its stock configuration.
 */
export const STOCK_CONFIG_YAML = `
rules_files:
  - /etc/falco/falco_rules.yaml
  - /etc/falco/falco_rules.local.yaml
  - /etc/falco/rules.d
engine:
  kind: modern_ebpf
  replay:
    capture_file: ""
time_format_iso_8601: false
buffer_format_base64: false
priority: debug
json_output: false
json_include_output_property: true
json_include_message_property: false
json_include_output_fields_property: true
json_include_tags_property: true
buffered_outputs: false
rule_matching: first
append_output:
  - suggested_output: true
stdout_output:
  enabled: true
syslog_output:
  enabled: true
file_output:
  enabled: false
  keep_alive: false
  filename: ./events.txt
http_output:
  enabled: false
  url: ""
program_output:
  enabled: false
  keep_alive: false
  program: "jq '{text: .output}' | curl -d @- -X POST https://hooks.slack.com/services/XXX"
log_stderr: true
log_syslog: true
log_level: info
output_timeout: 2000
syscall_event_drops:
  threshold: .1
  actions:
    - log
    - alert
  rate: .03333
  max_burst: 1
  simulate_drops: false
base_syscalls:
  custom_set: []
  repair: false
  all: false
`;

export const STOCK_CONFIG_NAME = '/etc/falco/falco.yaml (stock defaults)';

export type RuleMatching = 'first' | 'all';

/** One `rules:` selection entry. */
export interface RuleSelection {
  op: 'enable' | 'disable';
  /** A rule name pattern (`*` wildcards), or '' */
  rule: string;
  /** A tag, or '' */
  tag: string;
}

/** One `append_output:` entry. */
export interface AppendOutputEntry {
  source: string;
  tags: string[];
  rule: string;
  /** `extra_output`: text appended to matching rules' outputs. */
  format: string;
  suggestedOutput: boolean;
  /** `extra_fields` given as `{key: format}`. */
  formattedFields: Record<string, string>;
  /** `extra_fields` given as a bare field name. */
  rawFields: string[];
}

export type DropAction = 'ignore' | 'log' | 'alert' | 'exit';

export interface FalcoConfig {
  /** Name of the configuration source (the -c file, or the stock defaults). */
  name: string;
  rulesFiles: string[];
  rulesSelection: RuleSelection[];
  appendOutput: AppendOutputEntry[];
  priority: Priority;
  ruleMatching: RuleMatching;
  jsonOutput: boolean;
  jsonIncludeOutputProperty: boolean;
  jsonIncludeTagsProperty: boolean;
  jsonIncludeMessageProperty: boolean;
  jsonIncludeOutputFieldsProperty: boolean;
  timeFormatIso8601: boolean;
  bufferFormatBase64: boolean;
  bufferedOutputs: boolean;
  outputTimeout: number;
  stdoutOutput: { enabled: boolean };
  syslogOutput: { enabled: boolean };
  fileOutput: { enabled: boolean; keepAlive: boolean; filename: string };
  programOutput: { enabled: boolean; keepAlive: boolean; program: string };
  httpOutput: { enabled: boolean; url: string };
  logLevel: string;
  logStderr: boolean;
  logSyslog: boolean;
  syscallEventDrops: { threshold: number; actions: DropAction[]; rate: number; maxBurst: number; simulateDrops: boolean };
  baseSyscalls: { customSet: string[]; repair: boolean; all: boolean };
  staticFields: Record<string, string>;
  engine: { kind: string; replayCaptureFile: string };
  /** The whole document after overrides, for keys not typed here. */
  tree: ConfigMap;
}

export interface ConfigSources {
  /** `-c FILE`; absent means Falco's stock configuration. */
  configFile?: string;
  /** `-o key=value` options, in command-line order. */
  options?: readonly string[];
}

const LOG_LEVELS = ['emergency', 'alert', 'critical', 'error', 'warning', 'notice', 'info', 'debug'];

function readSelection(tree: ConfigNode, name: string): RuleSelection[] {
  const n = getNode(tree, 'rules');
  if (n === undefined || n === null || typeof n === 'string' || isMapNode(n)) return [];
  return n.map((entry, i) => {
    const where = `Error reading config file (${name}): rules[${i}]`;
    if (!isMapNode(entry)) throw new ConfigError(`${where} must be a mapping with 'enable' or 'disable'`);
    const op = entry.has('enable') ? 'enable' : entry.has('disable') ? 'disable' : undefined;
    if (!op) throw new ConfigError(`${where} must have an 'enable' or 'disable' key`);
    const body = entry.get(op);
    if (!isMapNode(body)) throw new ConfigError(`${where}.${op} must be a mapping with 'rule' or 'tag'`);
    const rule = body.get('rule');
    const tag = body.get('tag');
    if ((rule !== undefined && typeof rule !== 'string') || (tag !== undefined && typeof tag !== 'string')) {
      throw new ConfigError(`${where}.${op}: 'rule' and 'tag' must be strings`);
    }
    if (!rule && !tag) throw new ConfigError(`${where}.${op} must name a 'rule' or a 'tag'`);
    return { op, rule: rule ?? '', tag: tag ?? '' };
  });
}

function readAppendOutput(tree: ConfigNode, name: string): AppendOutputEntry[] {
  const n = getNode(tree, 'append_output');
  // Falco reads only a sequence here: a map (for instance after `-o append_output.x=y` turned the
  // stock sequence into a map) is ignored.
  if (n === undefined || n === null || isMapNode(n)) return [];
  const list = typeof n === 'string' ? [n] : n;
  return list.map((entry, i) => {
    const where = `Error reading config file (${name}): append_output[${i}]`;
    if (!isMapNode(entry)) throw new ConfigError(`${where} must be a mapping`);
    const out: AppendOutputEntry = { source: '', tags: [], rule: '', format: '', suggestedOutput: false, formattedFields: {}, rawFields: [] };
    const match = entry.get('match');
    if (isMapNode(match)) {
      const s = match.get('source');
      if (typeof s === 'string') out.source = s;
      const tags = match.get('tags');
      if (Array.isArray(tags)) {
        for (const t of tags) {
          if (typeof t !== 'string') throw new ConfigError(`${where}.match.tags must be a list of strings`);
          if (!out.tags.includes(t)) out.tags.push(t);
        }
      }
      const r = match.get('rule');
      if (typeof r === 'string') out.rule = r;
    } else if (match !== undefined && match !== null) {
      throw new ConfigError(`${where}.match must be a mapping`);
    }
    const fmt = entry.get('extra_output');
    if (typeof fmt === 'string') out.format = fmt;
    else if (fmt !== undefined && fmt !== null) throw new ConfigError(`${where}.extra_output must be a string`);
    const fields = entry.get('extra_fields');
    if (fields !== undefined && fields !== null) {
      if (!Array.isArray(fields)) throw new ConfigError(`${where}.extra_fields must be a sequence`);
      for (const fd of fields) {
        if (isMapNode(fd) && fd.size === 1) {
          const [k, v] = [...fd][0]!;
          if (typeof v !== 'string') throw new ConfigError(`${where}.extra_fields: the format of '${k}' must be a string`);
          if (k in out.formattedFields || out.rawFields.includes(k)) throw new ConfigError(`${where}.extra_fields: '${k}' is defined twice`);
          out.formattedFields[k] = v;
        } else if (typeof fd === 'string') {
          if (fd in out.formattedFields) throw new ConfigError(`${where}.extra_fields: '${fd}' is defined twice`);
          if (!out.rawFields.includes(fd)) out.rawFields.push(fd);
        } else {
          throw new ConfigError(`${where}.extra_fields entries must be a field name or a one-key mapping {name: format}`);
        }
      }
    }
    try {
      out.suggestedOutput = getBool(entry, 'suggested_output', false);
    } catch (e) {
      // The entry's own key in the message, not only the last part of it.
      throw e instanceof ConfigError ? new ConfigError(e.message.replace('key "suggested_output"', `key "append_output[${i}].suggested_output"`)) : e;
    }
    return out;
  });
}

function readDropActions(tree: ConfigNode, name: string): DropAction[] {
  const acts: DropAction[] = [];
  for (const act of getStringList(tree, 'syscall_event_drops.actions')) {
    if (act !== 'ignore' && act !== 'log' && act !== 'alert' && act !== 'exit') {
      throw new ConfigError(
        `Error reading config file (${name}): available actions for syscall event drops are "ignore", "log", "alert", and "exit"`,
      );
    }
    if ((act === 'log' || act === 'alert') && acts.includes('ignore')) {
      throw new ConfigError(`Error reading config file (${name}): syscall event drop action "${act}" does not make sense with the "ignore" action`);
    }
    if (!acts.includes(act)) acts.push(act);
  }
  return acts.length ? acts : ['ignore'];
}

/** Types and checks a configuration document. */
export function typedConfig(tree: ConfigMap, name: string): FalcoConfig {
  const rulesFilesSet = getNode(tree, 'rules_files') !== undefined;
  const ruleFileSet = getNode(tree, 'rules_file') !== undefined;
  if (rulesFilesSet && ruleFileSet) {
    throw new ConfigError(`Error reading config file (${name}): both 'rules_files' and 'rules_file' keys set`);
  }
  const rulesFiles = getStringList(tree, rulesFilesSet ? 'rules_files' : 'rules_file');

  const priorityText = getString(tree, 'priority', 'debug');
  const priority = parsePriority(priorityText);
  if (priority === undefined) {
    throw new ConfigError(
      `Unknown priority "${priorityText}"--must be one of emergency, alert, critical, error, warning, notice, informational, debug`,
    );
  }
  const matching = getString(tree, 'rule_matching', 'first').toLowerCase();
  if (matching !== 'first' && matching !== 'all') {
    throw new ConfigError(`Unknown rule matching strategy "${getString(tree, 'rule_matching', '')}"--must be one of first, all`);
  }

  const fileEnabled = getBool(tree, 'file_output.enabled', false);
  const filename = getString(tree, 'file_output.filename', '');
  if (fileEnabled && filename === '') {
    throw new ConfigError(`Error reading config file (${name}): file output enabled but no filename in configuration block`);
  }
  const programEnabled = getBool(tree, 'program_output.enabled', false);
  const program = getString(tree, 'program_output.program', '');
  if (programEnabled && program === '') {
    throw new ConfigError(`Error reading config file (${name}): program output enabled but no program in configuration block`);
  }
  const httpEnabled = getBool(tree, 'http_output.enabled', false);
  const url = getString(tree, 'http_output.url', '');
  if (httpEnabled && url === '') {
    throw new ConfigError(`Error reading config file (${name}): http output enabled but no url in configuration block`);
  }

  const threshold = getNumber(tree, 'syscall_event_drops.threshold', 0.1);
  if (threshold < 0 || threshold > 1) {
    throw new ConfigError(`Error reading config file (${name}): syscall event drops threshold must be a double in the range [0, 1]`);
  }

  const logLevel = getString(tree, 'log_level', 'info').toLowerCase();
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`Unknown log level "${logLevel}"--must be one of ${LOG_LEVELS.join(', ')}`);
  }

  const staticNode = getNode(tree, 'static_fields');
  const staticFields: Record<string, string> = {};
  if (isMapNode(staticNode)) {
    for (const [k, v] of staticNode) {
      if (typeof v !== 'string') throw new ConfigError(`Config error at key "static_fields.${k}": expected a string`);
      staticFields[k] = v;
    }
  } else if (staticNode !== undefined && staticNode !== null) {
    throw new ConfigError('Config error at key "static_fields": expected a mapping');
  }

  return {
    name,
    rulesFiles,
    rulesSelection: readSelection(tree, name),
    appendOutput: readAppendOutput(tree, name),
    priority: priority ?? PRIORITY_DEBUG,
    ruleMatching: matching,
    jsonOutput: getBool(tree, 'json_output', false),
    jsonIncludeOutputProperty: getBool(tree, 'json_include_output_property', true),
    jsonIncludeTagsProperty: getBool(tree, 'json_include_tags_property', true),
    jsonIncludeMessageProperty: getBool(tree, 'json_include_message_property', false),
    jsonIncludeOutputFieldsProperty: getBool(tree, 'json_include_output_fields_property', true),
    timeFormatIso8601: getBool(tree, 'time_format_iso_8601', false),
    bufferFormatBase64: getBool(tree, 'buffer_format_base64', false),
    bufferedOutputs: getBool(tree, 'buffered_outputs', false),
    outputTimeout: getNumber(tree, 'output_timeout', 2000, { integer: true, min: 0 }),
    stdoutOutput: { enabled: getBool(tree, 'stdout_output.enabled', false) },
    syslogOutput: { enabled: getBool(tree, 'syslog_output.enabled', false) },
    fileOutput: { enabled: fileEnabled, keepAlive: getBool(tree, 'file_output.keep_alive', false), filename },
    programOutput: { enabled: programEnabled, keepAlive: getBool(tree, 'program_output.keep_alive', false), program },
    httpOutput: { enabled: httpEnabled, url },
    logLevel,
    logStderr: getBool(tree, 'log_stderr', false),
    logSyslog: getBool(tree, 'log_syslog', false),
    syscallEventDrops: {
      threshold,
      actions: readDropActions(tree, name),
      rate: getNumber(tree, 'syscall_event_drops.rate', 0.03333),
      maxBurst: getNumber(tree, 'syscall_event_drops.max_burst', 1),
      simulateDrops: getBool(tree, 'syscall_event_drops.simulate_drops', false),
    },
    baseSyscalls: {
      customSet: getStringList(tree, 'base_syscalls.custom_set'),
      repair: getBool(tree, 'base_syscalls.repair', false),
      all: getBool(tree, 'base_syscalls.all', false),
    },
    staticFields,
    engine: { kind: getString(tree, 'engine.kind', 'modern_ebpf'), replayCaptureFile: getString(tree, 'engine.replay.capture_file', '') },
    tree,
  };
}

let stockTree: ConfigMap | undefined;

/** A fresh copy of Falco's stock configuration document. */
export function stockConfigTree(): ConfigMap {
  stockTree ??= parseConfigText(STOCK_CONFIG_YAML, STOCK_CONFIG_NAME) as ConfigMap;
  return cloneNode(stockTree) as ConfigMap;
}

/**
 * Builds the configuration: the -c file (or the stock defaults), then each -o option in order
 * (a later one wins; `key[]=v` appends). Throws ConfigError with one clear message.
 */
export function loadFalcoConfig(src: ConfigSources = {}): FalcoConfig {
  let tree: ConfigMap;
  let name: string;
  if (src.configFile !== undefined) {
    name = src.configFile;
    let text: string;
    try {
      text = readRegularText(src.configFile, MAX_CONFIG_FILE);
    } catch (e) {
      if (!(e instanceof InputFileError)) throw e;
      throw new ConfigError(`Error reading config file (${name}): ${e.reason === 'no such file or directory' ? 'no such file' : e.reason}`);
    }
    tree = parseConfigText(text, name) as ConfigMap;
  } else {
    name = STOCK_CONFIG_NAME;
    tree = stockConfigTree();
  }
  const options = src.options ?? [];
  for (const opt of options) {
    try {
      applyOption(tree, opt);
    } catch (e) {
      throw e instanceof ConfigError ? new ConfigError(`-o ${opt}: ${e.message}`) : e;
    }
  }
  try {
    return typedConfig(tree, name);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    throw new ConfigError(withOrigin(e.message, name, src.configFile !== undefined, options));
  }
}

/** The config key a typing error of typedConfig is about, from its (Falco's) wording. */
const KEY_OF_ERROR: Array<[RegExp, (m: RegExpExecArray) => string]> = [
  [/Config error at key "([^"]+)"/, (m) => m[1]!],
  [/\): (rules|append_output)\[(\d+)\]/, (m) => `${m[1]}[${m[2]}]`],
  [/actions for syscall event drops|syscall event drop action/, () => 'syscall_event_drops.actions'],
  [/syscall event drops threshold/, () => 'syscall_event_drops.threshold'],
  [/both 'rules_files' and 'rules_file'/, () => 'rules_file'],
  [/^Unknown priority/, () => 'priority'],
  [/^Unknown rule matching/, () => 'rule_matching'],
  [/^Unknown log level/, () => 'log_level'],
  [/^Error reading config file \(.*\): (file|program|http) output enabled/, (m) => `${m[1]}_output`],
];

/** Whether two config keys overlap: one is the other, or lies inside it (`a.b` and `a.b[0].c`). */
function overlaps(a: string, b: string): boolean {
  const inside = (x: string, y: string) => x === y || x.startsWith(`${y}.`) || x.startsWith(`${y}[`);
  return inside(a, b) || inside(b, a);
}

/**
 * A typing error with where the bad value came from: the last `-o` that set its key (`-o
 * log_level=x: Unknown log level …`), else the -c file. Falco's message says neither when the
 * value came from -o, and blames the configuration file.
 */
function withOrigin(message: string, name: string, fromFile: boolean, options: readonly string[]): string {
  let key: string | undefined;
  for (const [re, keyOf] of KEY_OF_ERROR) {
    const m = re.exec(message);
    if (m) {
      key = keyOf(m);
      break;
    }
  }
  const option = key === undefined ? undefined : [...options].reverse().find((o) => overlaps(o.slice(0, Math.max(0, o.indexOf('='))).replace(/(\[\]|\.)+$/, ''), key!));
  if (option) return `-o ${option}: ${message.replace(`Error reading config file (${name}): `, '')}`;
  if (message.includes(name)) return message;
  if (fromFile) return `${name}: ${message}`;
  return options.length ? `${message} (set by ${options.map((o) => `-o ${o}`).join(', ')})` : message;
}
