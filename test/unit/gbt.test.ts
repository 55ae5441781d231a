import { describe, expect, it } from 'vitest';
import { parseGbId, regionAncestors, regionError, regionLevel, regionWithin } from '../../protocols/gbt.js';

describe('gbt', () => {
  it('gbt: parses the docs/domain.md example id', () => {
    expect(parseGbId('33010600001320000001')).toMatchObject({ province: '33', city: '01', county: '06', unit: '00', industry: '00', type: '132', network: '0', serial: '000001', region: '330106' });
  });
  it('gbt: a grassroots unit becomes part of the region', () => {
    expect(parseGbId('33010612011310000042')).toMatchObject({ region: '33010612', industry: '01', type: '131' });
  });
  it('gbt: rejects wrong length, unknown type and province 00', () => {
    expect(parseGbId('3301060000132000001')).toEqual({ error: 'a GB/T 28181 id is 20 digits' });
    expect(parseGbId('33010600009990000001')).toEqual({ error: 'type 999 (digits 11-13) is not a GB/T 28181 device type' });
    expect(parseGbId('00010600001320000001')).toHaveProperty('error');
  });
  it('gbt: region levels and ancestors', () => {
    expect(regionAncestors('33010601')).toEqual(['33010601', '330106', '330100', '330000']);
    expect(regionAncestors('330106')).toEqual(['330106', '330100', '330000']);
    expect(regionAncestors('330100')).toEqual(['330100', '330000']);
    expect(regionAncestors('330000')).toEqual(['330000']);
    expect(['330000', '330100', '330106', '33010601'].map(regionLevel)).toEqual(['province', 'city', 'county', 'unit']);
  });
  it('gbt: a region holds its own code and those below it, not the codes that merely start like it', () => {
    expect(regionWithin('33010601', '330100')).toBe(true);
    expect(regionWithin('330106', '330106')).toBe(true);
    expect(regionWithin('330106', '330000')).toBe(true);
    // 余杭区 330110 is not 富阳区 330111; 台州市 331000 is not 丽水市 331100 (a prefix test said it was)
    expect(regionWithin('330111', '330110')).toBe(false);
    expect(regionWithin('331102', '331000')).toBe(false);
    expect(regionWithin('331002', '331000')).toBe(true);
    expect(regionWithin('330106', '330110')).toBe(false);
  });
  it('gbt: region codes are validated', () => {
    expect(regionError('330106')).toBeUndefined();
    expect(regionError('33010')).toMatch(/6 digits/);
    expect(regionError('330006')).toMatch(/city digits/);
    expect(regionError('33000012')).toMatch(/county digits/);
  });
});
