/**
 * A narrow door to the store's database for the accounts, sessions and
 * tokens: small reads and writes made at once (not through the batch of the
 * fleet's changes), so a user added by `xueliang user add` on the server is
 * seen by the running centre at the next login. `?` placeholders, both engines.
 */
export interface SqlPort {
  all<T extends Record<string, unknown>>(sql: string, params?: ReadonlyArray<string | number | null>): Promise<T[]>;
  /** runs a change; the number of rows it touched */
  run(sql: string, params?: ReadonlyArray<string | number | null>): Promise<number>;
}

/** `?` placeholders as PostgreSQL's `$1, $2, …` (the accounts' SQL has no `?` in its literals). */
export function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}
