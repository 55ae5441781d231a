import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { canonicalConfigBytes, decode, parseTopic, topics, type ReportedConfigMessage, type TopicKind } from '../../protocols/index.js';

const PUSHES: ReadonlySet<TopicKind> = new Set(['configDesired', 'groupConfigDesired']);
import type { AgentConfig } from '../../config/agent.js';
import type { ConfigIssue } from '../../config/load.js';
import type { IncomingMessage, MqttConnection } from '../../platform/mqtt-client.js';
import { configHash, sourceName, type ConfigStore, type Source } from './config-store.js';

export interface ConfigApplier {
  currentConfig: AgentConfig;
  applyConfig(next: AgentConfig, reconnectDeadlineMs: number): Promise<{ status: 'applied' | 'rolled_back'; restartRequired: string[]; reason?: string }>;
}

/** Loads the admin public key: PEM text, or the path of a PEM file. */
export function loadAdminKey(spec: string): KeyObject {
  const pem = spec.includes('-----BEGIN') ? spec : readFileSync(spec, 'utf8');
  const key = createPublicKey(pem);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`the admin key is ${key.asymmetricKeyType}, not Ed25519`);
  return key;
}

/**
 * Config pushed over MQTT: checks the envelope, the signature and the
 * version, validates the merged result with the config file's own schema,
 * applies it live, keeps it on disk, and reports applied / rejected /
 * rolled back on `config/reported`. One push at a time.
 */
export class RemoteConfig {
  private chain: Promise<void> = Promise.resolve();
  private readonly key: KeyObject | undefined;

  constructor(
    private readonly deps: { mqtt: MqttConnection; store: ConfigStore; app: ConfigApplier; agentId: string; topicRoot: string; log: Logger; now: () => number },
  ) {
    const spec = deps.app.currentConfig.remoteConfig.adminPublicKey;
    this.key = spec ? loadAdminKey(spec) : undefined;
    if (!this.key) deps.log.warn('remote config is not signed: any client that may publish to this agent\'s config topic can change it (set remoteConfig.adminPublicKey)');
  }

  start(): void {
    const t = topics(this.deps.topicRoot);
    this.deps.mqtt.onMessage((m) => {
      if (this.sourceOf(m.topic)) this.chain = this.chain.then(() => this.handle(m)).catch((err: unknown) => this.deps.log.error({ err }, 'config push failed'));
    });
    this.deps.mqtt.subscribe(t.configDesired(this.deps.agentId));
    for (const g of this.deps.app.currentConfig.groups) this.deps.mqtt.subscribe(t.groupConfigDesired(g));
    // the admins learn that what they pushed earlier is not in force any more, and why
    let told = false;
    this.deps.mqtt.onConnect(() => {
      const d = this.deps.store.discarded;
      if (!d || told) return;
      told = true;
      void this.report({ status: 'rejected', source: 'stored', version: 0, errors: [{ path: '(stored layers)', message: d.reason }, ...d.errors] });
    });
  }

  private sourceOf(topic: string): Source | undefined {
    const t = parseTopic(this.deps.topicRoot, topic);
    if (t?.kind === 'configDesired' && t.agentId === this.deps.agentId) return { kind: 'agent' };
    if (t?.kind === 'groupConfigDesired' && this.deps.app.currentConfig.groups.includes(t.group)) return { kind: 'group', name: t.group };
    return undefined;
  }

  private async handle(m: IncomingMessage): Promise<void> {
    const source = this.sourceOf(m.topic)!;
    const name = sourceName(source);
    const reject = (errors: ConfigIssue[], version = 0, transaction?: string) => {
      this.deps.log.warn({ source: name, version, errors }, 'config push rejected; the config in force stays');
      return this.report({ status: 'rejected', source: name, version, transaction, errors });
    };
    const r = decode(this.deps.topicRoot, m.topic, m.payload, { accept: PUSHES });
    if (!r.ok) {
      if (r.reason === 'not_json') return reject([{ path: '(payload)', message: 'not JSON' }]);
      return reject((r.issues ?? [{ path: '(payload)', message: r.detail ?? r.reason }]).map((i) => ({ path: i.path === '(root)' ? '(payload)' : i.path, message: i.message })));
    }
    // a cleared retained push
    if (r.value.kind !== 'configDesired' && r.value.kind !== 'groupConfigDesired') return;
    const push = r.value.message;
    if (push === null) return;
    const { version, transaction, config, signature } = push;
    if (this.key) {
      const target = source.kind === 'agent' ? `agent:${this.deps.agentId}` : `group:${source.name}`;
      let good = false;
      try {
        good = signature !== undefined && verify(null, canonicalConfigBytes(target, version, config), this.key, Buffer.from(signature, 'base64'));
      } catch {
        good = false;
      }
      if (!good) return reject([{ path: 'signature', message: signature ? 'signature does not verify with the admin key' : 'unsigned push: this agent takes signed pushes only' }], version, transaction);
    }
    // the retained push we already applied comes again at every reconnect: nothing to do
    if (version === this.deps.store.versionOf(source)) return;
    const proposal = this.deps.store.propose(source, { version, patch: config, transaction });
    if (!proposal.ok) return reject(proposal.errors, version, transaction);
    const result = await this.deps.app.applyConfig(proposal.config, proposal.config.remoteConfig.reconnectDeadlineMs);
    if (result.status === 'rolled_back') {
      return this.report({ status: 'rolled_back', source: name, version, transaction, errors: [{ path: 'mqtt', message: result.reason ?? 'rolled back' }] });
    }
    this.deps.store.commit(proposal.layers);
    // a push may name new groups: listen to them too (pushes of groups left are ignored by sourceOf)
    for (const g of this.deps.app.currentConfig.groups) this.deps.mqtt.subscribe(topics(this.deps.topicRoot).groupConfigDesired(g));
    this.deps.log.info({ source: name, version, restartRequired: result.restartRequired }, 'config push applied');
    return this.report({ status: 'applied', source: name, version, transaction, ...(result.restartRequired.length ? { restartRequired: result.restartRequired } : {}) });
  }

  private async report(r: Pick<ReportedConfigMessage, 'status' | 'source' | 'version' | 'transaction' | 'errors' | 'restartRequired'>): Promise<void> {
    const msg: ReportedConfigMessage = {
      ...r,
      hash: configHash(this.deps.app.currentConfig),
      appliedAt: new Date(this.deps.now()).toISOString(),
      versions: this.deps.store.versions(),
    };
    await this.deps.mqtt.publish(topics(this.deps.topicRoot).configReported(this.deps.agentId), JSON.stringify(msg), { qos: 1, retain: true }).catch((err: Error) => this.deps.log.warn({ err: { message: err.message } }, 'config report not published'));
  }
}

