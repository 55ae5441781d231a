/**
 * The agent's public entry points: what the `xueliang` command (and anyone
 * embedding the agent) uses. The CLI imports the agent from here only
 * (test/unit/import-graph.test.ts): what lies behind may move freely.
 */
export { AgentApp } from './app.js';
export { ConfigStore } from './features/config-store.js';
// `xueliang discover`: WS-Discovery and what one device answers
export { expandCidrs, wsDiscover, type DiscoveredDevice } from './adapters/onvif/ws-discovery.js';
export { idFromEndpoint, normaliseXaddr, type CameraTarget } from './features/camera-target.js';
export { channelId } from './features/channels.js';
export { clockDrift, inspectOnvif, type OnvifInspection } from './features/onvif-inspect.js';
// `xueliang probe`: the check ladder and the picture check of one stream
export { newProbeState, pictureUrlOf, runDecode, runLiveness, verdictOf } from './features/ladder.js';
export { analysePicture, type PictureMetrics } from './adapters/picture.js';
export { faultsOf, inNightWindow, judgePicture, pictureRung, type Verdict } from './features/picture-faults.js';
export { parseRtspUrl } from './adapters/rtsp-url.js';
export { errorMessage } from './lib/errors.js';
