import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';

/** One problem in a configuration, as `path: message`. */
export interface ConfigIssue {
  path: string;
  message: string;
}

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(
    readonly source: string,
    readonly issues: ConfigIssue[],
  ) {
    super(`${source}: invalid configuration\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`);
  }
}

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  if (path.length === 0) return '(root)';
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`))
    .join('');
}

export function zodIssues(error: z.ZodError): ConfigIssue[] {
  return error.issues.map((i) => ({ path: formatPath(i.path), message: i.message }));
}

/** Parses YAML (a superset of JSON) text into a plain value, or throws ConfigError. */
export function parseConfigText(text: string, source: string): unknown {
  try {
    return parseYaml(text, { maxAliasCount: 100 }) ?? {};
  } catch (err) {
    throw new ConfigError(source, [{ path: '(file)', message: (err as Error).message.split('\n')[0] ?? 'unreadable' }]);
  }
}

/** Validates a parsed value against `schema`; every issue is reported, not just the first. */
export function validateConfig<S extends z.ZodType>(schema: S, value: unknown, source: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new ConfigError(source, zodIssues(result.error));
  return result.data;
}

/** Reads, parses and validates a config file. `overlay` (e.g. from the environment) is merged on top. */
export async function loadConfigFile<S extends z.ZodType>(
  schema: S,
  file: string,
  overlay: (raw: unknown) => unknown = (raw) => raw,
): Promise<z.infer<S>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [{ path: '(file)', message: (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message }]);
  }
  return validateConfig(schema, overlay(parseConfigText(text, file)), file);
}
