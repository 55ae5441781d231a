/** Environment variables that override secrets of the agent file, so they need not sit in it. */
export function agentEnvOverlay(env: NodeJS.ProcessEnv = process.env): (raw: unknown) => unknown {
  return (raw) => {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return raw;
    const obj = raw as Record<string, unknown>;
    const mqtt = { ...((obj['mqtt'] as Record<string, unknown> | undefined) ?? {}) };
    if (env['XUELIANG_MQTT_URL']) mqtt['url'] = env['XUELIANG_MQTT_URL'];
    if (env['XUELIANG_MQTT_USERNAME']) mqtt['username'] = env['XUELIANG_MQTT_USERNAME'];
    if (env['XUELIANG_MQTT_PASSWORD']) mqtt['password'] = env['XUELIANG_MQTT_PASSWORD'];
    return { ...obj, mqtt };
  };
}
