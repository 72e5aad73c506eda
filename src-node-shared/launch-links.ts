/**
 * The browser shell's launch links on a terminal: each link opens the workstation once (its secret
 * is spent for a cookie), so the launcher prints one per workstation at start and a fresh one
 * whenever Entrée is pressed (another browser, a browser restarted).
 */
import { createInterface } from 'node:readline';

export function printLaunchLinks(hosts: { label: string; launchUrl(): string }[]): void {
  const print = () => {
    for (const h of hosts) console.log(`${h.label} : ${h.launchUrl()}`);
    console.log('(chaque lien ouvre le poste une fois ; Entrée pour de nouveaux liens)');
  };
  print();
  if (!process.stdin.isTTY) return;
  createInterface({ input: process.stdin }).on('line', print);
}
