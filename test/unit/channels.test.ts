import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseProfiles, parseVideoSources, type MediaProfile } from '../../agent/adapters/onvif/onvif-device.js';
import { parseSoapBody } from '../../agent/adapters/onvif/soap-client.js';
import { channelsOf, expandDevice } from '../../agent/features/channels.js';
import { channelView, type OnvifInspection } from '../../agent/features/onvif-inspect.js';
import type { CameraTarget } from '../../agent/features/camera-target.js';
import { agentConfigSchema } from '../../config/agent.js';

const real = (f: string) => parseSoapBody(readFileSync(fileURLToPath(new URL(`../fixtures/onvif-real/${f}`, import.meta.url)), 'utf8'));
const profile = (token: string, sourceToken: string | null): MediaProfile => ({ token, name: token, encoding: 'H264', width: 320, height: 240, fps: 10, bitrateKbps: null, sourceToken });
const device = (over: Partial<CameraTarget> = {}): CameraTarget => ({
  id: 'nvr-1',
  name: '东门NVR',
  xaddr: 'http://127.0.0.1:8000/onvif/device_service',
  endpoint: undefined,
  rtspUrl: undefined,
  credentialName: 'site',
  pointId: 'P-NVR',
  category: 'key_industry_part',
  origin: 'config',
  ...over,
});

describe('channels: an NVR or encoder is one camera per video source', () => {
  it('channels: the recorded eight-input encoder lists eight video sources, in its order', async () => {
    expect(parseVideoSources(await real('360vision-predator-hikvision/GetVideoSourcesEncoder.xml'))).toEqual(['VideoSource0', 'VideoSource1', 'VideoSource2', 'VideoSource3', 'VideoSource4', 'VideoSource5', 'VideoSource6', 'VideoSource7']);
  });

  it('channels: the recorded cameras bind their profiles to one source: one channel each (the Bosch with four profiles is one camera)', async () => {
    const bosch = parseProfiles(await real('bosch-flexidome-5100i/005-GetProfiles.response.xml'));
    expect(bosch.map((p) => p.sourceToken)).toEqual(['1', '1', '1', '1']);
    expect(channelsOf([], bosch)).toEqual([{ index: 1, source: '1', profiles: bosch }]);
    const ptz = parseProfiles(await real('360vision-predator-hikvision/GetProfiles.xml'));
    expect(new Set(ptz.map((p) => p.sourceToken))).toEqual(new Set(['vidsrc0']));
    expect(channelsOf(['vidsrc0'], ptz)).toHaveLength(1);
  });

  it('channels: profiles grouped by source in the order of GetVideoSources, numbered by their place there; a source without a profile is no channel', () => {
    const profiles = [profile('c3m', 'VS3'), profile('c1m', 'VS1'), profile('c1s', 'VS1'), profile('c3s', 'VS3'), profile('x', 'VS9')];
    expect(channelsOf(['VS1', 'VS2', 'VS3'], profiles)).toEqual([
      { index: 1, source: 'VS1', profiles: [profiles[1], profiles[2]] },
      { index: 3, source: 'VS3', profiles: [profiles[0], profiles[3]] },
      // a source a profile names that GetVideoSources left out comes after the listed ones
      { index: 4, source: 'VS9', profiles: [profiles[4]] },
    ]);
    // without GetVideoSources: the order in which the profiles name them
    expect(channelsOf([], profiles).map((c) => [c.index, c.source])).toEqual([
      [1, 'VS3'],
      [2, 'VS1'],
      [3, 'VS9'],
    ]);
  });

  it('channels: profiles naming no source join the only channel, or the device is one channel of all of them', () => {
    const a = [profile('m', 'VS1'), profile('s', null)];
    expect(channelsOf(['VS1'], a)).toEqual([{ index: 1, source: 'VS1', profiles: a }]);
    const b = [profile('m', null), profile('s', null)];
    expect(channelsOf([], b)).toEqual([{ index: 1, source: '', profiles: b }]);
    expect(channelsOf(['VS1'], [])).toEqual([]);
  });

  it('channels: a device of two or more channels is watched as its channels, with default ids, names, the device category and no point of the device', () => {
    const layout = [
      { source: 'VS1', index: 1 },
      { source: 'VS3', index: 3 },
    ];
    const { cameras } = expandDevice(device(), layout);
    expect(cameras.map((c) => [c.id, c.name, c.pointId, c.category, c.channel])).toEqual([
      ['nvr-1-ch1', '东门NVR 通道1', null, 'key_industry_part', { deviceId: 'nvr-1', index: 1, source: 'VS1' }],
      ['nvr-1-ch3', '东门NVR 通道3', null, 'key_industry_part', { deviceId: 'nvr-1', index: 3, source: 'VS3' }],
    ]);
    expect(cameras.every((c) => c.xaddr === device().xaddr && c.credentialName === 'site')).toBe(true);
    // one channel, or no layout yet: the device is the camera, as before
    expect(expandDevice(device(), [{ source: 'VS1', index: 1 }]).cameras).toEqual([device()]);
    expect(expandDevice(device(), undefined).cameras).toEqual([device()]);
    // an RTSP-only camera has no channels
    const rtsp = device({ xaddr: undefined, rtspUrl: 'rtsp://127.0.0.1/a' });
    expect(expandDevice(rtsp, layout).cameras).toEqual([rtsp]);
  });

  it('channels: the config names channels by source (id, GB/T 28181 id, name, point, category); before any inspection its list stands; a source the device lacks is reported', () => {
    const settings = [
      { source: 'VS3', gbId: '33010600001320000003', name: '仓库北', pointId: 'P-3' },
      { source: 'VS7', id: 'yard', category: 'key_public_area' as const },
    ];
    const early = expandDevice(device({ channelSettings: settings }), undefined);
    expect(early.cameras.map((c) => [c.id, c.gbId, c.name, c.pointId, c.category, c.channel?.index])).toEqual([
      ['33010600001320000003', '33010600001320000003', '仓库北', 'P-3', 'key_industry_part', 1],
      ['yard', null, '东门NVR 通道2', null, 'key_public_area', 2],
    ]);
    const later = expandDevice(device({ channelSettings: settings }), [
      { source: 'VS1', index: 1 },
      { source: 'VS3', index: 3 },
    ]);
    expect(later.cameras.map((c) => c.id)).toEqual(['nvr-1-ch1', '33010600001320000003']);
    expect(later.unmatched).toEqual(['VS7']);
  });

  it("channels: a channel's view of its device's inspection is its own streams; a source the device lost has none", () => {
    const ins = { streams: [{ profile: 'a', uri: 'rtsp://h/1' }], channels: [
      { index: 1, source: 'VS1', streams: [{ profile: 'a', uri: 'rtsp://h/1' }] },
      { index: 2, source: 'VS2', streams: [{ profile: 'b', uri: 'rtsp://h/2' }, { profile: 'c', uri: 'rtsp://h/2s' }] },
    ] } as unknown as OnvifInspection;
    expect(channelView(ins, 'VS2').streams.map((s) => s.uri)).toEqual(['rtsp://h/2', 'rtsp://h/2s']);
    expect(channelView(ins, 'VS9').streams).toEqual([]);
  });

  it('channels: the config refuses channels without ONVIF, two channels of one source, and a channel id another camera has', () => {
    const base = { agentId: 'gw', mqtt: { url: 'mqtt://127.0.0.1' } };
    const bad = (cameras: unknown[]) => {
      const r = agentConfigSchema.safeParse({ ...base, cameras });
      return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(bad([{ id: 'nvr', onvif: '127.0.0.1:80', channels: [{ source: 'VS1', id: 'a' }] }])).toEqual([]);
    expect(bad([{ rtsp: 'rtsp://127.0.0.1/x', channels: [{ source: 'VS1' }] }]).join()).toContain('need `onvif`');
    expect(bad([{ id: 'nvr', onvif: '127.0.0.1:80', channels: [{ source: 'VS1' }, { source: 'VS1' }] }]).join()).toContain('different `source`');
    expect(bad([{ id: 'gate', onvif: '127.0.0.1:81' }, { id: 'nvr', onvif: '127.0.0.1:80', channels: [{ source: 'VS1', id: 'gate' }] }])).toEqual(['cameras.1.channels.0: camera id "gate" is also the id of cameras.0']);
  });
});
