import { describe, expect, it } from 'vitest';
import { catalogIdOf, inScope, regionDeviceId, regionTree, stateEvent, statusWord, type CatalogCamera } from '../../aggregator/gb28181/catalog.js';
import { CatalogWatch } from '../../aggregator/gb28181/catalog-watch.js';
import { mergePending } from '../../aggregator/gb28181/subscriptions.js';
import { packItems } from '../../aggregator/gb28181/upstream.js';
import { gb28181Settings } from '../../config/gb28181.js';

const cam = (over: Partial<CatalogCamera> = {}): CatalogCamera => ({ cameraId: 'c1', gbId: '33010600001310000001', name: '文三路口', manufacturer: 'HIK', model: 'DS-2CD', region: '330106', address: '文三路', longitude: undefined, latitude: undefined, state: 'online', rung: null, ...over });

describe('gb28181: catalog', () => {
  it('gb28181: states map to ON/OFF and to the events the upper platform reads', () => {
    expect(statusWord('online')).toBe('ON');
    expect(statusWord('degraded')).toBe('ON');
    expect(statusWord('offline')).toBe('OFF');
    expect(statusWord('unknown')).toBe('OFF');
    expect(stateEvent('offline', 'decode')).toBe('VLOST');
    expect(stateEvent('offline', 'tcp')).toBe('OFF');
    expect(stateEvent('degraded', null)).toBe('DEFECT');
    expect(stateEvent('unknown', null)).toBe('OFF');
    expect(stateEvent('online', null)).toBe('ON');
  });

  it('gb28181: region codes become 行政区划 ids and trees, scoped by the configured regions', () => {
    expect(['330000', '330100', '330106', '33010601'].map(regionDeviceId)).toEqual(['33', '3301', '330106', '33010601']);
    expect(regionTree(['33010601', '330108'], [])).toEqual(['330000', '330100', '330106', '330108', '33010601']);
    expect(regionTree(['33010601', '330108'], ['330106'])).toEqual(['330106', '33010601']);
    expect(inScope('33010601', ['330106'])).toBe(true);
    expect(inScope('330108', ['330106'])).toBe(false);
    expect(inScope(null, [])).toBe(true);
    expect(catalogIdOf('cam-1', '33010600001310000001')).toBe('33010600001310000001');
    expect(catalogIdOf('33010600001310000002', null)).toBe('33010600001310000002');
    expect(catalogIdOf('cam-1', '123')).toBeUndefined();
  });

  it('gb28181: the watch turns changes into ADD, status events, UPDATE and DEL, and counts cameras without an id', () => {
    const w = new CatalogWatch();
    w.prime([{ cameraId: 'c1', camera: cam() }, { cameraId: 'x', camera: undefined }]);
    expect(w.unreportedCount).toBe(1);
    expect(w.observe('c1', cam(), 'present')).toEqual([]);
    expect(w.observe('c1', cam({ state: 'offline', rung: 'decode' }), 'present').map((c) => c.event)).toEqual(['VLOST']);
    expect(w.observe('c1', cam({ state: 'offline', rung: 'tcp' }), 'present').map((c) => c.event)).toEqual(['OFF']);
    expect(w.observe('c1', cam({ state: 'unknown', rung: 'tcp' }), 'present').map((c) => c.event)).toEqual([]);
    expect(w.observe('c1', cam({ state: 'degraded' }), 'present').map((c) => c.event)).toEqual(['DEFECT']);
    expect(w.observe('c1', cam({ name: '新名字' }), 'present').map((c) => c.event)).toEqual(['UPDATE', 'ON']);
    expect(w.observe('c1', cam({ name: '新名字', gbId: '33010600001310000009' }), 'present').map((c) => `${c.event}:${c.gbId}`)).toEqual(['DEL:33010600001310000001', 'ADD:33010600001310000009']);
    expect(w.cameraIdOf('33010600001310000009')).toBe('c1');
    expect(w.observe('c1', undefined, 'gone').map((c) => c.event)).toEqual(['DEL']);
    expect(w.observe('c2', cam({ cameraId: 'c2', gbId: '33010600001310000002' }), 'present').map((c) => c.event)).toEqual(['ADD']);
    expect(w.reportedCount).toBe(1);
  });

  it('gb28181: pending notifications keep the latest state; an ADD absorbs what follows; ADD then DEL is nothing', () => {
    expect(mergePending(['OFF'], 'ON')).toEqual(['ON']);
    expect(mergePending(['UPDATE'], 'VLOST')).toEqual(['UPDATE', 'VLOST']);
    expect(mergePending(['ADD'], 'OFF')).toEqual(['ADD']);
    expect(mergePending(['ADD'], 'DEL')).toBeUndefined();
    expect(mergePending(['ON'], 'DEL')).toEqual(['DEL']);
    expect(mergePending(undefined, 'UPDATE')).toEqual(['UPDATE']);
  });

  it('gb28181: NOTIFY items are packed under the size limit', () => {
    const items = Array.from({ length: 2000 }, (_, i) => [['DeviceID', `3301060000131${String(i).padStart(7, '0')}`], ['Event', 'OFF'], ['Status', 'OFF']] as Array<[string, string]>);
    const packs = packItems(items, 24_000, 'GB2312');
    expect(packs.flat().length).toBe(2000);
    expect(packs.length).toBeLessThanOrEqual(12);
    expect(packs.length).toBeGreaterThan(1);
  });

  it('gb28181: the config refuses a camera type as our id, a password inline, and asks for exactly one password source', () => {
    const base = { serverId: '34020000002000000001', domain: '3402000000', host: '127.0.0.1', localId: '33010600002000000001', passwordEnv: 'GB_PASS' };
    expect(gb28181Settings.safeParse({ upstream: [base] }).success).toBe(true);
    expect(gb28181Settings.safeParse({ upstream: [{ ...base, localId: '33010600001310000001' }] }).success).toBe(false);
    expect(gb28181Settings.safeParse({ upstream: [{ ...base, password: 'x' }] }).success).toBe(false);
    expect(gb28181Settings.safeParse({ upstream: [{ ...base, passwordFile: '/x' }] }).success).toBe(false);
    expect(gb28181Settings.safeParse({ upstream: [{ ...base, passwordEnv: undefined }] }).success).toBe(false);
  });
});
