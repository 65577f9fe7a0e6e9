/** The type a file's first bytes prove, for the formats we check (null when unknown). */
const SIGNATURES: { type: string; test: (b: Uint8Array) => boolean }[] = [
  { type: 'image/png', test: (b) => b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47 },
  { type: 'image/jpeg', test: (b) => b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  { type: 'image/gif', test: (b) => b.length >= 6 && String.fromCharCode(...b.subarray(0, 4)) === 'GIF8' },
  {
    type: 'image/webp',
    test: (b) => b.length >= 12 && String.fromCharCode(...b.subarray(0, 4)) === 'RIFF' && String.fromCharCode(...b.subarray(8, 12)) === 'WEBP',
  },
  { type: 'application/pdf', test: (b) => b.length >= 5 && String.fromCharCode(...b.subarray(0, 5)) === '%PDF-' },
];

export function sniff(bytes: Uint8Array): string | null {
  return SIGNATURES.find((s) => s.test(bytes))?.type ?? null;
}

export const LOGO_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];
