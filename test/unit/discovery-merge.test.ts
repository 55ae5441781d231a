import { describe, expect, it } from 'vitest';
import { expandCidrs, type DiscoveredDevice } from '../../agent/adapters/onvif/ws-discovery.js';
import { idFromEndpoint, type CameraTarget } from '../../agent/features/camera-target.js';
import { mergeDiscovered } from '../../agent/features/discovery.js';

const dev = (endpoint: string, xaddr: string): DiscoveredDevice => ({ endpoint, xaddrs: [xaddr], scopes: [], types: [], from: '', via: 'eth0' });
const configured: CameraTarget = { id: 'gate', name: 'Gate', xaddr: 'http://10.0.0.5/onvif/device_service', endpoint: undefined, rtspUrl: undefined, credentialName: undefined, pointId: 'P1', category: 'other', origin: 'config' };

describe('discovery merge', () => {
  it('discovery merge: a new device becomes a camera whose id comes from its endpoint reference', () => {
    const r = mergeDiscovered([], [dev('urn:uuid:2419d68a-2dd2-21b2-a205-ec8d0b5d51d5', 'http://10.0.0.9/onvif/device_service')]);
    expect(r.added).toEqual(['onvif-2419d68a-2dd2-21b2-a205-ec8d0b5d51d5']);
    expect(r.targets[0]).toMatchObject({ origin: 'discovery', xaddr: 'http://10.0.0.9/onvif/device_service' });
  });

  it('discovery merge: a known endpoint at a new address is the same camera, moved', () => {
    const first = mergeDiscovered([], [dev('urn:uuid:aaaaaaaa-1111', 'http://10.0.0.9/onvif/device_service')]);
    const second = mergeDiscovered(first.targets, [dev('urn:uuid:aaaaaaaa-1111', 'http://10.0.0.77:8080/onvif/device_service')]);
    expect(second.added).toEqual([]);
    expect(second.moved).toEqual([{ cameraId: idFromEndpoint('urn:uuid:aaaaaaaa-1111'), from: '10.0.0.9:80', to: '10.0.0.77:8080' }]);
    expect(second.targets).toHaveLength(1);
    expect(second.targets[0]!.xaddr).toBe('http://10.0.0.77:8080/onvif/device_service');
  });

  it('discovery merge: a configured camera found by discovery keeps its configured id', () => {
    const r = mergeDiscovered([configured], [dev('urn:uuid:bbbbbbbb-2222', 'http://10.0.0.5:80/onvif/device_service')]);
    expect(r.added).toEqual([]);
    expect(r.targets).toEqual([{ ...configured, endpoint: 'urn:uuid:bbbbbbbb-2222' }]);
  });

  it('discovery merge: the same device seen twice adds one camera', () => {
    const d = dev('urn:uuid:cccccccc-3333', 'http://10.0.0.3/onvif/device_service');
    const r = mergeDiscovered(mergeDiscovered([], [d]).targets, [d]);
    expect(r.targets).toHaveLength(1);
    expect(r.added).toEqual([]);
  });
});

describe('cidr expansion', () => {
  it('cidr expansion: a /30 has two hosts, a /32 one', () => {
    expect(expandCidrs(['192.0.2.4/30'])).toEqual(['192.0.2.5', '192.0.2.6']);
    expect(expandCidrs(['127.0.0.1/32', '127.0.0.2'])).toEqual(['127.0.0.1', '127.0.0.2']);
  });
  it('cidr expansion: refuses what is too large or not an address', () => {
    expect(() => expandCidrs(['10.0.0.0/8'])).toThrow(/from \/16 to \/32/);
    expect(() => expandCidrs(['10.0.0.300/32'])).toThrow(/out of range/);
    expect(() => expandCidrs(['camera-1'])).toThrow(/not an IPv4/);
  });
});
