/** Version of the MQTT contract; it is the last segment of the default topic root. */
export const PROTOCOL_VERSION = 'v1';
export const DEFAULT_TOPIC_ROOT = `xueliang/${PROTOCOL_VERSION}`;
