import type { Logger } from 'pino';
import { topics, type AlertMessage, type AlertNotice } from '../../protocols/index.js';
import type { MqttConnection } from '../../platform/mqtt-client.js';
import type { WebhookSender } from '../adapters/webhook.js';

/**
 * Where an alert notice goes: `{root}/alerts/events` in order (QoS 1), the
 * retained `{root}/alerts/active/{id}` while it is active, and the webhook's
 * queue when one is configured.
 */
export function alertPublisher(deps: { mqtt: MqttConnection; topicRoot: string; webhook: WebhookSender | undefined; log: Logger }): (n: AlertNotice) => void {
  const t = topics(deps.topicRoot);
  return (n) => {
    const body = JSON.stringify(n);
    deps.webhook?.enqueue(n.seq, body);
    const warn = (err: Error) => deps.log.warn({ err: { message: err.message }, alert: n.alert.id }, 'alert not published');
    deps.mqtt.publish(t.alertEvents(), body, { qos: 1 }).catch(warn);
    deps.mqtt.publish(t.alertActive(n.alert.id), n.type === 'raised' ? JSON.stringify(n.alert) : '', { qos: 1, retain: true }).catch(warn);
  };
}

/** Replaces the retained `{root}/alerts/active/{id}` of an alert that changed while active (acknowledged). */
export function alertRetainer(deps: { mqtt: MqttConnection; topicRoot: string; log: Logger }): (a: AlertMessage) => void {
  const t = topics(deps.topicRoot);
  return (a) => void deps.mqtt.publish(t.alertActive(a.id), JSON.stringify(a), { qos: 1, retain: true }).catch((err: Error) => deps.log.warn({ err: { message: err.message }, alert: a.id }, 'alert not published'));
}
