// Only what our adapter uses of node-onvif 0.1.7 (CJS, untyped). Results are
// `unknown` on purpose: every value is checked by a zod schema before use.
declare module 'node-onvif/lib/modules/soap.js' {
  interface OnvifSoap {
    createRequestSoap(params: { body: string; xmlns: string[]; diff: number; user?: string; pass?: string }): string;
    parse(xml: string): Promise<unknown>;
    _createNonce(digits: number): Buffer;
  }
  const soap: OnvifSoap;
  export default soap;
}
