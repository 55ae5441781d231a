import { regionAncestors } from '../../protocols/index.js';

/**
 * Roles (docs/security.md): readers and operators of the network, the system
 * administrator (系统管理员), the security administrator (安全管理员) and the
 * auditor (审计管理员). No role holds two of the last three: the security
 * administrator manages accounts and reads no camera data, the auditor reads
 * the trail and nothing else (三权分立).
 */
export const ROLES = ['viewer', 'operator', 'admin', 'security', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

export type Permission =
  /** rates, cameras, histories, problems, gateways, plan rows, maintenance, alerts, reports, the live feed, /metrics */
  | 'read'
  /** declare and end maintenance windows */
  | 'maintain'
  /** acknowledge alerts (确认告警) */
  | 'acknowledge'
  /** reports and camera lists as files */
  | 'export'
  /** replace the point plan, release cameras */
  | 'administer'
  /** users, roles and tokens */
  | 'accounts'
  /** the audit trail */
  | 'audit';

const GRANTS: Record<Role, readonly Permission[]> = {
  viewer: ['read'],
  operator: ['read', 'maintain', 'acknowledge', 'export'],
  admin: ['read', 'maintain', 'acknowledge', 'export', 'administer'],
  security: ['accounts'],
  auditor: ['audit'],
};

export function can(role: Role, p: Permission): boolean {
  return GRANTS[role].includes(p);
}

export const isRole = (s: string): s is Role => (ROLES as readonly string[]).includes(s);

/** the scope entry of the whole centre (every region, and cameras of none) */
export const ALL = 'all';

/**
 * The regions a user or token may see: GB/T 2260 codes, each with everything
 * below it, or `all`. A camera with no region (no point, no region of its
 * gateway) is seen by `all` only.
 */
export class Scope {
  readonly all: boolean;
  private readonly codes: ReadonlySet<string>;

  constructor(readonly regions: readonly string[]) {
    this.all = regions.includes(ALL);
    this.codes = new Set(regions);
  }

  /** Whether a region (or a camera's region) is within the scope. */
  covers(region: string | null | undefined): boolean {
    if (this.all) return true;
    if (!region) return false;
    return regionAncestors(region).some((r) => this.codes.has(r));
  }

  /** The scope's own roots: what a scoped user's "everything" is. */
  roots(): string[] {
    return this.all ? [] : [...this.codes].filter((c) => !regionAncestors(c).slice(1).some((a) => this.codes.has(a))).sort();
  }
}
