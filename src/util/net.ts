/** Whether a URL names this machine (localhost, 127.x.x.x, [::1]). */
export function isLoopback(url: string): boolean {
  const host = new URL(url).hostname;
  return host === 'localhost' || host.startsWith('127.') || host === '[::1]';
}
