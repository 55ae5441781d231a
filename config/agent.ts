import { z } from 'zod';
import { gbId, pointCategory, regionCode, topicSegment } from '../protocols/index.js';
import { cronExpression } from './cron.js';
import { mqttSettings } from './mqtt.js';
import { pictureSettings, pictureThresholdOverrides } from './picture.js';

const credentialSet = z
  .object({
    name: z.string().min(1).describe('name that cameras refer to with `credential`'),
    username: z.string().min(1).describe('camera login (ONVIF and RTSP)'),
    password: z.string().describe('secret: never logged nor published'),
  })
  .strict();

const siteNetwork = z
  .object({
    name: topicSegment.describe('name shown with the cause, e.g. east-gate-switch'),
    cidr: z
      .string()
      .regex(/^(\d{1,3}\.){3}\d{1,3}\/([89]|[12]\d|3[0-2])$/, 'an IPv4 range like 10.20.1.0/24 (/8 to /32)')
      .describe('the IPv4 range of its cameras'),
    probe: z
      .string()
      .regex(/^[^\s:/]+:\d{1,5}$/, 'host:port')
      .optional()
      .describe('host:port that answers a TCP connection while the network is up (its switch or router): checked each liveness round; unanswered, its cameras\' cause is `network` however many there are'),
  })
  .strict();

const channelSetting = z
  .object({
    source: z.string().min(1).max(256).describe("the channel's video source token, as the device's GetVideoSources names it (e.g. VideoSource_3; `xueliang discover` lists them)"),
    id: topicSegment.optional().describe('camera id of the channel; defaults to its gbId, else {device id}-ch{n}'),
    gbId: gbId.optional().describe('GB/T 28181 id of the camera on this channel; it binds the channel to the point with that code'),
    name: z.string().optional().describe('name shown to operators (default: the device name and the channel number)'),
    pointId: z.string().optional().describe('id of the planned point (点位) this channel\'s camera serves'),
    category: pointCategory.optional().describe('category of its point, when the plan does not say (default: the device\'s)'),
  })
  .strict();

const staticCamera = z
  .object({
    id: topicSegment.optional().describe('camera id; defaults to gbId, else derived from the device (never the IP alone)'),
    gbId: gbId.optional().describe('GB/T 28181 id of the camera; becomes its id'),
    name: z.string().optional().describe('name shown to operators'),
    onvif: z
      .string()
      .optional()
      .describe('ONVIF device service: http://host[:port]/onvif/device_service, or host[:port]'),
    rtsp: z.string().startsWith('rtsp://').optional().describe('RTSP URL, for cameras without ONVIF or to override the ONVIF stream'),
    credential: z.string().optional().describe('name of the credential set to use; all are tried in order when absent'),
    allowBasicAuth: z
      .boolean()
      .optional()
      .describe('answer the RTSP server\'s Basic challenge, which sends the password in clear: only with the login of `rtsp` or `credential` (default: Digest only)'),
    pointId: z.string().optional().describe('id of the planned point (点位) the camera serves'),
    category: pointCategory.optional().describe('category of its point, when the plan does not say'),
    picture: pictureThresholdOverrides.optional().describe('picture thresholds of this camera, over the global ones'),
    evidence: z.boolean().optional().describe('send evidence frames of this camera (and its channels) to the centre; default: evidence.frames'),
    channels: z
      .array(channelSetting)
      .max(256)
      .optional()
      .describe('an NVR, DVR or encoder: names, ids and points of its channels (one camera per video source). Without it a device with several video sources is still watched as one camera per source, with ids {id}-ch{n}'),
  })
  .strict()
  .refine((c) => !c.channels || (c.onvif !== undefined && c.rtsp === undefined), { message: '`channels` are read from an ONVIF device: they need `onvif` and no `rtsp`', path: ['channels'] })
  .refine((c) => !c.channels || new Set(c.channels.map((x) => x.source)).size === c.channels.length, { message: 'each channel names a different `source`', path: ['channels'] })
  .refine((c) => c.onvif !== undefined || c.rtsp !== undefined, { message: 'a camera needs `onvif` or `rtsp`' })
  .refine((c) => !c.allowBasicAuth || c.credential !== undefined || (c.rtsp !== undefined && /^rtsp:\/\/[^/@]+@/.test(c.rtsp)), {
    message: 'allowBasicAuth needs the one login to send: `credential`, or credentials in the `rtsp` URL',
    path: ['allowBasicAuth'],
  })
  .refine((c) => c.rtsp !== undefined || c.id !== undefined || c.gbId !== undefined, {
    message: 'an ONVIF camera needs `id` or `gbId`: its id must outlive its IP address (`xueliang discover` suggests one)',
  });

const discoverySettings = z
  .object({
    enabled: z.boolean().default(true).describe('run WS-Discovery at start and on its schedule'),
    multicast: z.boolean().default(true).describe('WS-Discovery multicast probe on every IPv4 interface that can multicast'),
    interfaces: z.array(z.string()).optional().describe('only these interface names; default: all that can multicast'),
    cidrs: z.array(z.string()).default([]).describe('unicast probes to every host of these IPv4 ranges (/16 at most)'),
    port: z.number().int().min(1).max(65535).default(3702).describe('WS-Discovery UDP port'),
    windowMs: z.number().int().min(200).max(60_000).default(3000).describe('how long to collect answers'),
    schedule: cronExpression.default('7 * * * *').describe('when to run discovery (also at start)'),
    forgetAfterHours: z
      .number()
      .min(0)
      .max(87_600)
      .default(720)
      .describe('a discovered camera no discovery has seen for this long is removed (camera_removed, retained status cleared) and leaves the installed count; 0: never. Until then it is checked, and reported offline when dead'),
  })
  .strict();

const checkSettings = z
  .object({
    livenessSchedule: cronExpression.default('0 * * * * *').describe('socket rungs (TCP, ONVIF, RTSP)'),
    decode: z.boolean().default(true).describe('run the decode rung at all (off: socket rungs only, for weak gateways)'),
    decodeSchedule: cronExpression.default('30 */5 * * * *').describe('decode rung: ffmpeg decodes the first keyframe of the main stream'),
    livenessDeadlineMs: z.number().int().min(100).max(120_000).default(10_000).describe('deadline of one liveness check (all socket rungs)'),
    channelRereadMinutes: z
      .number()
      .min(0)
      .max(1440)
      .default(10)
      .describe("an NVR or encoder one of whose channels' streams fails is read again (profiles and every channel's stream URI: two SOAP calls a channel) at most this often, so a dead channel does not cost a full reading every round on a metered line; 0: once a round"),
    decodeDeadlineMs: z.number().int().min(500).max(300_000).default(20_000).describe('deadline of one decode check (connect, wait for a keyframe, decode it); its ffmpeg is killed after'),
    decodeGroup: z.number().int().min(1).max(32).default(8).describe('decode checks that share one ffmpeg process (its start-up costs more CPU than decoding a keyframe); a camera that fails is pinned and the rest run again without it'),
    decodeSeconds: z.number().min(0.5).max(30).optional().describe('no longer used: the decode rung stops at the first keyframe (accepted so older configs stay valid)'),
    offlineAfter: z.number().int().min(1).max(100).default(3).describe('consecutive failed checks before offline'),
    maxFfmpeg: z.number().int().min(1).max(64).default(8).describe('ffmpeg processes at once, at most (the memory ceiling: each costs about 20 MB, a decode group more); within it, cpuBudgetPercent sets how many run'),
    cpuBudgetPercent: z.number().min(0).max(100).default(50).describe('share of all cores the agent and its ffmpeg processes may use together: the number of ffmpeg at once follows it every 10 s (up while checks wait and the CPU used is under it, down while over); 0: always maxFfmpeg'),
    memoryBudgetMb: z.number().int().min(0).max(65_536).default(450).describe('memory (PSS) the agent and its ffmpeg processes may use together: over it, fewer ffmpeg run at once; 0: no memory rule'),
    maxSockets: z.number().int().min(1).max(4096).default(64).describe('socket checks at once'),
    streamReader: z
      .enum(['agent', 'ffmpeg'])
      .default('agent')
      .describe('who reads a stream up to its keyframes for the decode and picture checks. agent: our own RTSP session (RTP over TCP, H.264/H.265) waits for them holding only the picture being assembled, and ffmpeg decodes them from a file in a short run (RTSPS, other codecs and servers without RTP over TCP still go to ffmpeg); ffmpeg: ffmpeg opens every stream and holds a decoder while it waits'),
    maxStreams: z.number().int().min(1).max(1024).default(64).describe('streams the agent reads at once while waiting for keyframes (streamReader agent), counting the keyframes read that wait for ffmpeg: a socket or a few hundred KB each, no decoder'),
    picture: pictureSettings.prefault({}).describe('the picture check (video-quality diagnosis)'),
    recording: z
      .object({
        enabled: z.boolean().default(true).describe('read recording integrity of the last 24 h from ONVIF cameras that offer recording search (Profile G)'),
        schedule: cronExpression.default('0 30 3 * * *').describe('when (daily, off-peak: 03:30)'),
        deadlineMs: z.number().int().min(1000).max(120_000).default(20_000).describe('deadline of one camera\'s recording search'),
      })
      .strict()
      .prefault({})
      .describe('recording integrity (录像完整率), a rate of its own'),
    clockDriftWarnMs: z.number().int().min(0).default(5000).describe('warn when a camera clock is further off (breaks WS-Security and timestamps)'),
  })
  .strict();

export const agentConfigSchema = z
  .object({
    agentId: topicSegment.describe('id of this gateway, unique across the deployment'),
    site: z.string().optional().describe('human name of the site'),
    region: regionCode.optional().describe('GB/T 2260 code of the region this gateway serves'),
    mqtt: mqttSettings({ clientId: 'default: xueliang-agent-{agentId}', reconnectMaxMs: 60_000 }).prefault({}).describe('the broker of the monitoring centre'),
    credentials: z.array(credentialSet).default([]).describe('camera logins, tried in order; the one that works is remembered per camera'),
    cameras: z.array(staticCamera).default([]).describe('cameras to watch besides the discovered ones'),
    evidence: z
      .object({
        frames: z
          .boolean()
          .default(true)
          .describe('send the frame a picture check analysed (JPEG, 320×180, at most 30 KB) to the centre when a fault is raised or cleared and when a camera\'s reference frame is captured: the centre shows it beside the fault'),
      })
      .strict()
      .prefault({})
      .describe('picture evidence for the centre'),
    networks: z
      .array(siteNetwork)
      .max(1000)
      .default([])
      .describe("the site's networks (a switch, an uplink each): when every camera host of one is unreachable while the gateway runs (at least 3 hosts, or its probe does not answer), their cause is `network`. Without it each /24 the cameras share is one"),
    discovery: discoverySettings.prefault({}).describe('finding ONVIF cameras'),
    checks: checkSettings.prefault({}).describe('the check ladder: schedules, deadlines, limits'),
    outbox: z
      .object({
        maxEvents: z.number().int().min(10).max(10_000_000).default(100_000).describe('events kept while the broker is unreachable; beyond it the oldest are dropped and an events_dropped event says so'),
        syncMs: z.number().int().min(0).max(1000).default(500).describe('fsync the outbox journal at most this long after a write'),
      })
      .strict()
      .prefault({})
      .describe('events waiting for the broker, kept on disk'),
    status: z
      .object({
        publish: z
          .enum(['change', 'check'])
          .default('change')
          .describe('change: a camera\'s retained status is published when what it says changes (state, rung, reason, faults, stream, device, binding, recording), and the liveness round message confirms the others; check: after every check, as before report by exception'),
        refreshMinutes: z.number().int().min(1).max(43_200).default(1440).describe('every camera\'s status is published again at least this often (status.publish change), a few cameras a round, never in a burst'),
        fpsTolerance: z.number().min(0).max(1).default(0.2).describe('a frame rate that moved by less than this share of the last published one is not a change'),
        clockDriftToleranceMs: z.number().int().min(0).default(5000).describe('a camera clock drift that moved by less than this since the last published one is not a change'),
      })
      .strict()
      .prefault({})
      .describe('when camera statuses go out on the uplink (report by exception)'),
    summaryIntervalSec: z.number().int().min(1).max(86_400).default(60).describe('the retained summary goes at most this often (and the heartbeat file is written this often)'),
    summaryPublish: z.enum(['change', 'interval']).default('change').describe('change: the summary goes when the counts or a camera\'s state changed (and every status.refreshMinutes); interval: every summaryIntervalSec, as before report by exception'),
    groups: z.array(topicSegment).default([]).describe('groups whose pushed config this agent takes, in order: later groups win, an agent push wins over all'),
    remoteConfig: z
      .object({
        enabled: z.boolean().default(true).describe('take config pushed over MQTT ({root}/agents/{id}/config/desired and the groups\' topics)'),
        adminPublicKey: z.string().optional().describe('Ed25519 public key (PEM, or the path of a PEM file): every push must be signed by its private key'),
        reconnectDeadlineMs: z.number().int().min(1000).max(600_000).default(60_000).describe('new broker settings must connect within this, else the agent goes back to the old ones'),
      })
      .strict()
      .prefault({})
      .describe('configuration pushed by admins'),
    stateDir: z.string().default('/var/lib/xueliang').describe('where the agent keeps what must survive a restart'),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info').describe('pino log level'),
  })
  .strict()
  .superRefine((c, ctx) => {
    const names = new Set(c.credentials.map((x) => x.name));
    c.cameras.forEach((cam, i) => {
      if (cam.credential !== undefined && !names.has(cam.credential)) {
        ctx.addIssue({ code: 'custom', path: ['cameras', i, 'credential'], message: `no credential set named "${cam.credential}"` });
      }
    });
    // a channel's camera id is a camera id like any other: two cameras may not share one
    const seen = new Map<string, string>();
    const claim = (id: string | undefined, path: Array<string | number>) => {
      if (id === undefined) return;
      const before = seen.get(id);
      if (before !== undefined) ctx.addIssue({ code: 'custom', path, message: `camera id "${id}" is also the id of ${before}` });
      else seen.set(id, path.join('.'));
    };
    c.cameras.forEach((cam, i) => {
      claim(cam.id ?? cam.gbId, ['cameras', i]);
      cam.channels?.forEach((ch, j) => claim(ch.id ?? ch.gbId, ['cameras', i, 'channels', j]));
    });
  });

export type AgentConfig = z.infer<typeof agentConfigSchema>;
export type AgentConfigInput = z.input<typeof agentConfigSchema>;
export type StaticCamera = z.infer<typeof staticCamera>;
export type CredentialSet = z.infer<typeof credentialSet>;
