import { describe, expect, it } from 'vitest';
import { agentConfigSchema } from '../../config/agent.js';
import { ConfigError, parseConfigText, validateConfig } from '../../config/load.js';
import { agentEnvOverlay } from '../../config/agent-env.js';

describe('agent config', () => {
  it('agent config: a minimal file gets every default', () => {
    const c = validateConfig(agentConfigSchema, { agentId: 'gw-1' }, 'test');
    expect(c.mqtt).toMatchObject({ url: 'mqtt://127.0.0.1:1883', topicRoot: 'xueliang/v1', protocolVersion: 5 });
    expect(c.checks).toMatchObject({ offlineAfter: 3, livenessDeadlineMs: 10_000, decodeDeadlineMs: 20_000, decode: true });
    expect(c.discovery).toMatchObject({ enabled: true, multicast: true, port: 3702 });
  });

  it('agent config: every problem is reported with its path', () => {
    const raw = parseConfigText('agentId: "a b"\ncameras:\n  - rtsp: rtsp://x/y\n    credential: nobody\nchecks: {offlineAfter: 0}\nextra: 1\n', 'f.yaml');
    try {
      validateConfig(agentConfigSchema, raw, 'f.yaml');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const paths = (e as ConfigError).issues.map((i) => i.path);
      expect(paths).toEqual(expect.arrayContaining(['agentId', 'checks.offlineAfter', '(root)']));
    }
  });

  it('agent config: a credential name that no set has is refused', () => {
    expect(() => validateConfig(agentConfigSchema, { agentId: 'gw', cameras: [{ rtsp: 'rtsp://x/y', credential: 'nobody' }] }, 't')).toThrow(/cameras\[0\]\.credential: no credential set named "nobody"/);
  });

  it('agent config: an ONVIF camera without id is refused with the reason', () => {
    expect(() => validateConfig(agentConfigSchema, { agentId: 'gw', cameras: [{ onvif: '10.0.0.1' }] }, 't')).toThrow(/outlive its IP address/);
  });

  it('agent config: unreadable YAML is one clear issue', () => {
    expect(() => parseConfigText('a: [1, 2\n', 'bad.yaml')).toThrow(ConfigError);
  });

  it('agent config: the MQTT secrets can come from the environment', () => {
    const c = validateConfig(agentConfigSchema, agentEnvOverlay({ XUELIANG_MQTT_PASSWORD: 'from-env', XUELIANG_MQTT_USERNAME: 'gw' })({ agentId: 'gw' }), 't');
    expect(c.mqtt).toMatchObject({ username: 'gw', password: 'from-env' });
  });
});

describe('cron expressions', () => {
  it('cron expressions: a huge step is refused instead of crashing the process (node-cron expands it)', async () => {
    const { cronExpression } = await import('../../config/cron.js');
    expect(cronExpression.safeParse('30 *9007199254740993/5 * * * *').success).toBe(false);
    expect(cronExpression.safeParse('*/99999999 * * * *').success).toBe(false);
    expect(cronExpression.safeParse('0 */5 * * * *').success).toBe(true);
    expect(cronExpression.safeParse('7 * * * mon-fri').success).toBe(true);
    expect(cronExpression.safeParse('0 8-18/2 1,15 jan *').success).toBe(true);
  });
});

describe('picture thresholds', () => {
  it('picture thresholds: a camera override changes only what it names; the rest stays global', () => {
    const c = validateConfig(agentConfigSchema, { agentId: 'gw', cameras: [{ id: 'c', rtsp: 'rtsp://h/p', picture: { darkBelow: 20 } }], checks: { picture: { thresholds: { brightAbove: 200 } } } }, 't');
    expect(c.cameras[0]!.picture).toEqual({ darkBelow: 20 });
    expect({ ...c.checks.picture.thresholds, ...c.cameras[0]!.picture }).toMatchObject({ darkBelow: 20, brightAbove: 200, lowContrastBelow: 40 });
  });
});
