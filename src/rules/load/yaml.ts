/** yaml-cpp compatible reading lives in src/config (importable by every layer); re-exported here. */
export * from '../../config/yaml-cpp.js';
