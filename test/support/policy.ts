/**
 * The isolation matrix's vocabulary (test/isolation.test.ts): who is expected to get what. A row
 * has one outcome per actor, in ACTORS order; /v1's POLICY and each dialect's (test/dialects/)
 * are written with these rows.
 */
export const ACTORS = ['anonymous', 'revoked', 'expired', 'otherOrgAdmin', 'removedMember', 'orgMember', 'viewer', 'editor', 'manager', 'orgAdmin', 'superuser'] as const;
export type ActorName = (typeof ACTORS)[number];
/** ok: 2xx/3xx; '-': not sent (a write the actor is allowed to make). */
export type Outcome = 'ok' | '401' | '403' | '404' | '-';
export type Row = readonly [Outcome, Outcome, Outcome, Outcome, Outcome, Outcome, Outcome, Outcome, Outcome, Outcome, Outcome];

// Columns, in ACTORS order. The removed member (an editor of P until A removed them) answers as
// the admin of another organisation everywhere: leaving A leaves them nothing in it.
//                         anon   revokd expird other  removd member viewer editor managr admin  super
// Reads.
export const R_PUBLIC: Row =     ['ok',  'ok',  'ok',  'ok',  'ok',  'ok',  'ok',  'ok',  'ok',  'ok',  'ok'];
/** Any signed-in user: the caller's own things, and lists filtered to what the caller may see. */
export const R_SELF: Row =       ['401', '401', '401', 'ok',  'ok',  'ok',  'ok',  'ok',  'ok',  'ok',  'ok'];
/** Organisation A: visible to its members (and superusers), hidden from another organisation. */
export const R_ORG: Row =        ['401', '401', '401', '404', '404', 'ok',  'ok',  'ok',  'ok',  'ok',  'ok'];
/** Inside the private project P: hidden from org members who are not in it. */
export const R_PROJ: Row =       ['401', '401', '401', '404', '404', '404', 'ok',  'ok',  'ok',  'ok',  'ok'];
// Writes: only the refused actors are sent.
export const W_SELF: Row =       ['401', '401', '401', '-',   '-',   '-',   '-',   '-',   '-',   '-',   '-'];
/** Needs org admin rights on A: the plain members of A (the viewer is one) get 403. */
export const W_ORG_ADMIN: Row =  ['401', '401', '401', '404', '404', '403', '403', '-',   '-',   '-',   '-'];
/** Any member of A may do it (create a project). */
export const W_ORG_MEMBER: Row = ['401', '401', '401', '404', '404', '-',   '-',   '-',   '-',   '-',   '-'];
/** Needs write rights in P: the viewer gets 403. */
export const W_PROJ: Row =       ['401', '401', '401', '404', '404', '404', '403', '-',   '-',   '-',   '-'];
/** Someone else's account ({user} is the editor): members of A see it but may not change it. */
export const W_USER: Row =       ['401', '401', '401', '404', '404', '403', '403', '-',   '-',   '-',   '-'];
/** The viewer's token: nobody else sees it. */
export const W_TOKEN: Row =      ['401', '401', '401', '404', '404', '404', '-',   '-',   '-',   '-',   '-'];
/** Sent by no actor: the operation takes a password, not a credential (sign-in); its own tests cover it. */
export const NOT_SENT: Row =     ['-',   '-',   '-',   '-',   '-',   '-',   '-',   '-',   '-',   '-',   '-'];
