/**
 * The types whose first bytes prove them, and the other names clients declare them by. Content
 * declared as one of these must prove it (see settleType): a declaration alone is not enough.
 */
const SIGNATURES: { type: string; aliases: string[]; test: (b: Uint8Array) => boolean }[] = [
  { type: 'image/png', aliases: ['image/x-png'], test: (b) => b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47 },
  { type: 'image/jpeg', aliases: ['image/jpg', 'image/pjpeg'], test: (b) => b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  { type: 'image/gif', aliases: [], test: (b) => b.length >= 6 && String.fromCharCode(...b.subarray(0, 4)) === 'GIF8' },
  {
    type: 'image/webp',
    aliases: [],
    test: (b) => b.length >= 12 && String.fromCharCode(...b.subarray(0, 4)) === 'RIFF' && String.fromCharCode(...b.subarray(8, 12)) === 'WEBP',
  },
  { type: 'application/pdf', aliases: ['application/x-pdf'], test: (b) => b.length >= 5 && String.fromCharCode(...b.subarray(0, 5)) === '%PDF-' },
];

/** The type a file's first bytes prove, for the formats we check (null when unknown). */
export function sniff(bytes: Uint8Array): string | null {
  return SIGNATURES.find((s) => s.test(bytes))?.type ?? null;
}

/** The type with a signature that a declared media type names (its own name or an alias), or null. */
export function signedType(mediaType: string): string | null {
  return SIGNATURES.find((s) => s.type === mediaType || s.aliases.includes(mediaType))?.type ?? null;
}

export const LOGO_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];
