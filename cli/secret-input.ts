import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';

/**
 * A password for a command, never from its arguments: typed at a prompt (not
 * echoed, asked twice) when stdin is a terminal, else the first line of stdin
 * (`printf '%s\n' "$PW" | xueliang user add …`).
 */
export async function readSecret(prompt: string): Promise<string> {
  if (!process.stdin.isTTY) {
    let text = '';
    for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
      text += chunk.toString('utf8');
      if (text.length > 4096) break;
    }
    return text.split(/\r?\n/)[0] ?? '';
  }
  const first = await ask(prompt);
  const again = await ask('again: ');
  if (first !== again) throw new Error('the two entries differ');
  return first;
}

function ask(prompt: string): Promise<string> {
  process.stderr.write(prompt);
  const muted = new Writable({ write: (_c, _e, done) => done() });
  const rl = createInterface({ input: process.stdin, output: muted, terminal: true });
  return new Promise((resolve) =>
    rl.question('', (answer) => {
      rl.close();
      process.stderr.write('\n');
      resolve(answer);
    }),
  );
}
