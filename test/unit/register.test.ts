import { describe, expect, it } from 'vitest';
import { topics } from '../../protocols/index.js';
import { recordGaps } from '../../aggregator/rates/register.js';
import { rateSet } from '../../aggregator/rates/model.js';
import { registerView } from '../../aggregator/features/queries.js';
import type { PlanPoint } from '../../aggregator/rates/model.js';
import { memoryFleet } from '../support/fleet.js';

const t = topics();
const iso = (ms: number) => new Date(ms).toISOString();
const point = (over: Partial<PlanPoint> = {}): PlanPoint => ({ id: 'P1', name: '文三路口', region: '330106', category: 'key_public_area', required: 1, gbId: '33010600001320000001', address: '文三路与学院路交叉口', longitude: 120.13, latitude: 30.27, ...over });
const device = { manufacturer: 'Hikvision', model: 'DS-2CD2T47', firmware: null, serial: 'DS-2CD2T47-0001', hardwareId: null };
const DEFAULT = ['gbId', 'name', 'address', 'longitude', 'latitude', 'category'] as const;

describe('register (建档率)', () => {
  it('register: a record is complete with its point\'s required fields and the device\'s maker, model and serial; each gap is named', () => {
    expect(recordGaps({ cameraId: 'c1', device }, point(), DEFAULT)).toEqual([]);
    expect(recordGaps({ cameraId: 'c1', device }, undefined, DEFAULT)).toEqual(['point']);
    expect(recordGaps({ cameraId: 'c1', device: null }, point({ address: '  ', longitude: undefined, latitude: undefined }), DEFAULT)).toEqual(['address', 'longitude', 'latitude', 'manufacturer', 'model', 'serial']);
    // the GB/T 28181 code may be the camera's own
    expect(recordGaps({ cameraId: '33010600001320000009', device }, point({ gbId: undefined }), DEFAULT)).toEqual([]);
    expect(recordGaps({ cameraId: 'c1', device }, point({ gbId: undefined }), DEFAULT)).toEqual(['gbId']);
    expect(recordGaps({ cameraId: 'c1', device }, point(), [...DEFAULT, 'owner', 'installedOn'])).toEqual(['owner', 'installedOn']);
  });

  it('register: the centre counts complete records per region and category, 建档率 = recorded ÷ installed, and lists the gaps', async () => {
    const f = memoryFleet();
    await f.fleet.setPlan([point(), point({ id: 'P2', gbId: '33010600001320000002', address: undefined }), point({ id: 'P3', gbId: '33010600001320000003', region: '330108' })]);
    const now = Date.now();
    f.send(t.agentState('gw'), { state: 'online', session: 's1', agentVersion: '1', startedAt: iso(now - 60_000), site: null, region: '330106' });
    const status = (id: string, pointId: string | null, dev: Omit<typeof device, 'serial'> & { serial: string | null } | null) => ({ cameraId: id, name: id, state: 'online', since: iso(now - 1000), checkedAt: iso(now), rung: null, reason: null, detail: null, consecutiveFailures: 0, source: 'rtsp', address: 'h:554', streamUri: null, stream: null, device: dev, clockDriftMs: null, pointId, category: null, faults: [], rungs: [] });
    f.send(t.cameraStatus('gw', 'c1'), status('c1', 'P1', device));
    f.send(t.cameraStatus('gw', 'c2'), status('c2', 'P2', device));
    f.send(t.cameraStatus('gw', 'c3'), status('c3', 'P3', { ...device, serial: null }));
    f.send(t.cameraStatus('gw', 'c4'), status('c4', null, device));
    const row = (region: string) => rateSet(f.fleet.ratesTable().get(region)!.all).register;
    expect(row('330100')).toMatchObject({ numerator: 1, denominator: 4 });
    expect(row('330106')).toMatchObject({ numerator: 1, denominator: 3 });
    expect(row('330108')).toMatchObject({ numerator: 0, denominator: 1 });
    const gaps = registerView(f.fleet, { region: '330106', limit: 10, offset: 0 });
    expect(gaps.total).toBe(2);
    expect(Object.fromEntries(gaps.cameras.map((c) => [c.cameraId, c.missing]))).toEqual({ c2: ['address'], c4: ['point'] });
    // the device reports its serial: that record is complete, the rate follows at once
    f.send(t.cameraStatus('gw', 'c3'), status('c3', 'P3', device));
    expect(row('330108')).toMatchObject({ numerator: 1, denominator: 1 });
  });
});
