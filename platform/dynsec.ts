import { z } from 'zod';
import { topics } from '../protocols/index.js';

/**
 * Gateways enrolled at the broker through mosquitto's dynamic-security
 * plugin (its `$CONTROL/dynamic-security/v1` topic): each gateway its own
 * login (username = agentId) and a role that may write only its own topics
 * and read only its own requests and desired config (and its groups'), as
 * config/mosquitto/acl.conf says for a static ACL. Pure: the commands and the
 * reading of the answers; the CLI sends them (cli/cmd-gateway.ts).
 */
export const DYNSEC_TOPIC = '$CONTROL/dynamic-security/v1';
export const DYNSEC_RESPONSE_TOPIC = `${DYNSEC_TOPIC}/response`;

export type DynsecCommand = Record<string, unknown> & { command: string };

export const roleOf = (agentId: string) => `xueliang-gateway-${agentId}`;

/** What a gateway may publish and subscribe to. */
export function gatewayAcls(agentId: string, topicRoot: string): Array<{ acltype: string; topic: string; allow: boolean; priority?: number }> {
  const t = topics(topicRoot);
  const writes = [t.agentState(agentId), t.cameraStatus(agentId, '+'), t.cameraFrame(agentId, '+'), t.events(agentId), t.summary(agentId), t.round(agentId), t.response(agentId, '+'), t.configReported(agentId)];
  const reads = [t.configDesired(agentId), t.request(agentId, '+'), t.groupConfigDesired('+')];
  return [...writes.map((topic) => ({ acltype: 'publishClientSend', topic, allow: true })), ...reads.map((topic) => ({ acltype: 'subscribePattern', topic, allow: true })), ...reads.map((topic) => ({ acltype: 'publishClientReceive', topic, allow: true }))];
}

/** The role and the login of a new gateway; the password is the caller's (random, shown once). */
export function enrolCommands(agentId: string, topicRoot: string, region: string, password: string): DynsecCommand[] {
  return [
    { command: 'createRole', rolename: roleOf(agentId), textname: `xueliang gateway ${agentId} (${region})`, acls: gatewayAcls(agentId, topicRoot) },
    { command: 'createClient', username: agentId, password, textname: `xueliang gateway ${agentId}, region ${region}`, roles: [{ rolename: roleOf(agentId) }] },
  ];
}

/** Disables the login: mosquitto closes its connection at once and refuses it from then on. */
export function revokeCommands(agentId: string): DynsecCommand[] {
  return [{ command: 'disableClient', username: agentId }];
}

const responses = z.object({ responses: z.array(z.object({ command: z.string(), error: z.string().optional(), data: z.unknown().optional() }).passthrough()).max(100) });
export type DynsecResponse = z.infer<typeof responses>['responses'][number];

/** The plugin's answers to one request, or why they cannot be read. */
export function readResponses(payload: Buffer): DynsecResponse[] | { error: string } {
  if (payload.length > 1024 * 1024) return { error: 'an answer larger than 1 MiB' };
  let data: unknown;
  try {
    data = JSON.parse(payload.toString('utf8'));
  } catch {
    return { error: 'an answer that is not JSON' };
  }
  const r = responses.safeParse(data);
  return r.success ? r.data.responses : { error: `an answer of another shape: ${r.error.issues[0]?.message ?? ''}` };
}
