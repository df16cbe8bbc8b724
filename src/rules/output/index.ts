export {
  parseOutput,
  compileOutput,
  checkOutput,
  renderValue,
  OutputError,
  NOT_AVAILABLE,
  type OutputToken,
  type OutputFieldToken,
  type ParsedOutput,
  type CompiledOutput,
  type OutputFieldValue,
  type OutputExtractorProvider,
} from './format.js';
