import { readFileSync } from 'node:fs';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { Config } from './config-types.js';
import { ConfigError, parseConfig } from './parse-config.js';

/**
 * Reads and validates the YAML configuration file, or the defaults when `path` is undefined. Every failure is
 * an Error whose message names the file, and for a bad value the key, so start-up can print it and exit.
 */
export function loadConfig(path: string | undefined): Config {
  if (path === undefined || path === '') return parseConfig({});
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`config file ${path}: cannot read it: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  let document: unknown;
  try {
    // uniqueKeys: a key written twice is a mistake, not a silent override.
    document = parseYaml(text, { uniqueKeys: true, maxAliasCount: 100 });
  } catch (error) {
    const detail = error instanceof YAMLParseError ? error.message.split('\n')[0] : String(error);
    throw new Error(`config file ${path}: not valid YAML: ${detail}`);
  }
  try {
    return parseConfig(document);
  } catch (error) {
    if (error instanceof ConfigError) throw new Error(`config file ${path}: ${error.message}`);
    throw error;
  }
}
