import { regionError } from '../../protocols/index.js';
import { ALL, isRole, type Role } from './roles.js';

/** A user name: letters (any script), digits, `.`, `_`, `-`, `@`; 1–64 characters. */
export function userNameError(name: string): string | undefined {
  if (!/^[\p{L}\p{N}._@-]{1,64}$/u.test(name)) return 'a user name is 1 to 64 letters, digits, ".", "_", "-" or "@"';
  return undefined;
}

/** A scope's regions: `all`, or GB/T 2260 codes (6 digits, 8 with a grassroots unit). */
export function regionsError(regions: readonly string[]): string | undefined {
  if (regions.length === 0) return 'at least one region (a GB/T 2260 code, or "all")';
  if (regions.length > 100) return 'at most 100 regions';
  for (const r of regions) {
    if (r === ALL) continue;
    const e = regionError(r);
    if (e) return `${r.slice(0, 20)}: ${e}`;
  }
  return undefined;
}

export function roleError(role: string): string | undefined {
  return isRole(role) ? undefined : 'the role is one of viewer, operator, admin, security, auditor';
}

/** The security administrator and the auditor watch the whole centre: their scope is every region. */
export function scopeOfRole(role: Role, regions: readonly string[]): string[] {
  return role === 'security' || role === 'auditor' ? [ALL] : [...new Set(regions)];
}
