import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parsePlan, parsePlanCsv, parsePlanJson, parsePlanSliced } from '../../aggregator/features/plan.js';
import { aggregatorConfigSchema } from '../../config/aggregator.js';
import { agentConfigSchema } from '../../config/agent.js';
import { parseConfigText, validateConfig } from '../../config/load.js';

describe('plan', () => {
  it('plan: CSV rows load; bad rows are rejected with their line and reason', () => {
    const csv = [
      'id,name,region,gbId,category,required',
      'XH-001,"Wensan Rd, crossing",330106,,key_public_area,2',
      '33010600001320000009,GB point,,,key_industry_part,',
      'XH-003,No region,,,other,1',
      'XH-004,Bad category,330106,,parking,1',
      'XH-001,Again,330106,,other,1',
      'XH-006,Zero,330106,,other,0',
      '',
      'XH-007,Unit,33010601,,other,1',
    ].join('\n');
    const r = parsePlanCsv(csv);
    expect(r.points).toEqual([
      { id: 'XH-001', name: 'Wensan Rd, crossing', region: '330106', category: 'key_public_area', required: 2 },
      { id: '33010600001320000009', name: 'GB point', region: '330106', category: 'key_industry_part', required: 1 },
      { id: 'XH-007', name: 'Unit', region: '33010601', category: 'other', required: 1 },
    ]);
    expect(r.errors.map((e) => e.line)).toEqual([4, 5, 6, 7]);
    expect(r.errors[0]!.reason).toMatch(/region: give a GB\/T 2260 region code/);
    expect(r.errors[1]!.reason).toMatch(/^category:/);
    expect(r.errors[2]!.reason).toBe('id XH-001 already defined on line 2');
    expect(r.errors[3]!.reason).toMatch(/required must be at least 1/);
  });

  it('plan: a CSV without the needed columns is one clear error', () => {
    expect(parsePlanCsv('name,zone\nx,y').errors).toEqual([{ line: 1, reason: 'the header must name at least the columns id and category' }]);
  });

  it('plan: a point may say where it is (longitude, latitude: the GB/T 28181 catalog reports them); out of range is an error', () => {
    const r = parsePlanCsv(['id,name,region,category,longitude,latitude', 'A,a,330106,other,120.13,30.27', 'B,b,330106,other,200,30', 'C,c,330106,other,,'].join('\n'));
    expect(r.points).toEqual([
      { id: 'A', name: 'a', region: '330106', category: 'other', required: 1, longitude: 120.13, latitude: 30.27 },
      { id: 'C', name: 'c', region: '330106', category: 'other', required: 1 },
    ]);
    expect(r.errors).toEqual([{ line: 3, reason: 'longitude: longitude outside China (73 to 136 degrees east)' }]);
  });

  it('plan: the record columns (address, installedOn, owner, maintainer) load; a malformed date, half a position, a position outside China are row errors', () => {
    const r = parsePlanCsv([
      'id,name,region,category,address,installedOn,owner,maintainer,longitude,latitude',
      'A,文三路口,330106,key_public_area,文三路与学院路交叉口,2024-05-01,西湖区公安分局,某运维公司,120.13,30.27',
      'B,b,330106,other,,2024-02-30,,,,',
      'C,c,330106,other,,,,,120.1,',
      'D,d,330106,other,,,,,2.35,48.85',
    ].join('\n'));
    expect(r.points).toEqual([{ id: 'A', name: '文三路口', region: '330106', category: 'key_public_area', required: 1, longitude: 120.13, latitude: 30.27, address: '文三路与学院路交叉口', installedOn: '2024-05-01', owner: '西湖区公安分局', maintainer: '某运维公司' }]);
    expect(r.errors.map((e) => [e.line, e.reason])).toEqual([
      [3, 'installedOn: installedOn is not a real date'],
      [4, 'longitude and latitude go together'],
      [5, 'longitude: longitude outside China (73 to 136 degrees east)'],
    ]);
  });

  it('plan: JSON arrays and {points} both load', () => {
    const p = [{ id: 'A', region: '110101', category: 'other' }];
    expect(parsePlanJson(JSON.stringify(p)).points).toHaveLength(1);
    expect(parsePlanJson(JSON.stringify({ points: p })).points).toHaveLength(1);
    expect(parsePlanJson('{oops').errors[0]!.reason).toMatch(/^not JSON/);
  });
});

describe('example configs', () => {
  const read = (f: string) => readFileSync(fileURLToPath(new URL(`../../config/${f}`, import.meta.url)), 'utf8');
  it('example configs: the agent and aggregator examples are valid', () => {
    expect(() => validateConfig(agentConfigSchema, parseConfigText(read('agent.example.yaml'), 'agent.example.yaml'), 'agent.example.yaml')).not.toThrow();
    expect(() => validateConfig(aggregatorConfigSchema, parseConfigText(read('aggregator.example.yaml'), 'aggregator.example.yaml'), 'aggregator.example.yaml')).not.toThrow();
  });

  it('plan: an upload checked in slices gives what the plan read at once gives, rows, errors and line numbers alike', async () => {
    const rows = ['id,name,region,category'];
    for (let i = 0; i < 20_000; i++) rows.push(i % 997 === 0 ? `bad-${i},x,33XX,other` : i % 1999 === 0 ? '' : `P${i},point ${i},330106,${i % 2 ? 'key_public_area' : 'other'}`);
    const csv = rows.join('\n');
    const json = JSON.stringify(parsePlanCsv(csv).points.slice(0, 3000));
    for (const [text, format] of [[csv, 'csv'], [json, 'json'], ['{oops', 'json'], ['name\nx', 'csv']] as const) expect(await parsePlanSliced(text, format)).toEqual(parsePlan(text, format));
    expect((await parsePlanSliced(csv, 'csv')).errors.map((e) => e.line).slice(0, 2)).toEqual([2, 999]);
  });
});
