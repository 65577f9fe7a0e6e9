/** The info of /openapi.json; the dialects' documents share its contact and license. */
export const API_INFO = {
  title: 'Fieldbase API',
  version: '1.0.0',
  contact: { name: 'Fieldbase engineering', url: 'https://fieldbase.dev' },
  license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
  description:
    'Multi-tenant API for organisations that run projects of physical assets in the field and keep the evidence about them. Errors are RFC 9457 problem+json; lists are `{count, next, previous, results}` with a Link header.',
};
