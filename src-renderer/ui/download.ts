/** A file received through the bridge (base64) saved by the browser under its name. */
export function saveFile(file: { filename: string; contentType: string; base64: string }): void {
  const url = URL.createObjectURL(base64Blob(file.base64, file.contentType));
  const a = document.createElement('a');
  a.href = url;
  a.download = file.filename;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function base64Blob(base64: string, contentType: string): Blob {
  return new Blob([Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))], { type: contentType });
}
