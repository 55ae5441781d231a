export const demoHelp = `xueliang demo`;
export async function runDemo(): Promise<number> {
  return 2;
}
