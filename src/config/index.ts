/** Public API of the configuration layer. See README.md in this folder. */
export {
  loadFalcoConfig,
  typedConfig,
  stockConfigTree,
  STOCK_CONFIG_YAML,
  STOCK_CONFIG_NAME,
  type FalcoConfig,
  type ConfigSources,
  type RuleSelection,
  type AppendOutputEntry,
  type RuleMatching,
  type DropAction,
} from './falco-config.js';
export { ConfigError, applyOption, getNode, setNode, parseKeyPath, toPlain, type ConfigNode, type ConfigMap } from './tree.js';
