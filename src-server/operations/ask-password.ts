/**
 * A password asked on the terminal without echo, or read from the first line of standard input
 * when it is not a terminal (an installation script piping it). Never taken from the command line,
 * where it would stay in the shell's history and in the process list.
 */
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { CliError } from './server-config.js';

export function readPasswordFromTerminal(prompt: string): Promise<string> {
  const tty = Boolean(process.stdin.isTTY);
  let muted = false;
  const output = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (!muted) process.stderr.write(chunk);
      callback();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: tty });
  return new Promise((resolve, reject) => {
    if (tty) process.stderr.write(prompt);
    muted = true;
    let answered = false;
    rl.once('line', (line) => {
      answered = true;
      if (tty) process.stderr.write('\n');
      resolve(line);
      rl.close();
    });
    rl.once('close', () => {
      if (!answered) reject(new CliError('Aucun mot de passe saisi.'));
    });
  });
}
