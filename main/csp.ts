/**
 * The renderer's Content-Security-Policy, one for both front doors (Electron's app scheme and the
 * browser-mode server): no remote code, no inline scripts, no plugins; images may be data: or
 * blob: URLs (canvas exports, previews).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "img-src 'self' data: blob:",
  "style-src 'self' 'unsafe-inline'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
