/**
 * Collections that hold an account's sign-in state rather than data. A request made with a key
 * never writes them: a key never changes the account it acts for, its credentials, verifiers,
 * sessions or keys. `users` is narrower: a key whose role manages users may still change other
 * users, never its owner. Those marked `keyReads: false` hold secrets or what stands in for
 * them (codes in progress, a verifier's secret, tokens), and a key does not read them at all,
 * whatever its role: a one-time code read with a key would reset any account's password and
 * turn the key into that account's session. (`apiKeys` is not here: key management refuses
 * every request made with a key, with its own code.)
 */
export const ACCOUNT_COLLECTIONS: Readonly<Record<string, { keyReads: boolean; reason: string }>> = {
  users: { keyReads: true, reason: "the owner's profile, password and roles (other users: as the role allows)" },
  rolesUsers: { keyReads: true, reason: 'which roles a user holds' },
  authenticators: { keyReads: true, reason: 'sign-in methods (a configuration read, refused as such)' },
  tokenControlConfig: { keyReads: true, reason: 'session policy (a configuration read, refused as such)' },
  usersAuthenticators: { keyReads: false, reason: "a user's link to a sign-in method, with what the method keeps (its tokens)" },
  usersVerifiers: { keyReads: false, reason: 'two-factor verifiers bound to a user, with their secrets' },
  usersVerificators: { keyReads: false, reason: 'two-factor verifiers bound to a user (older name)' },
  verifications: { keyReads: false, reason: 'one-time verifications in progress, with their codes' },
  otpRecords: { keyReads: false, reason: 'one-time codes' },
  issuedTokens: { keyReads: false, reason: 'sessions' },
  tokenBlacklist: { keyReads: false, reason: 'revoked tokens; a key imported from the built-in plugin is kept there whole' },
  oidcStates: { keyReads: false, reason: 'identity-provider sign-ins in progress' },
};

export const isAccountCollection = (name: string) => Object.prototype.hasOwnProperty.call(ACCOUNT_COLLECTIONS, name);

export const keyMayRead = (name: string) => !isAccountCollection(name) || ACCOUNT_COLLECTIONS[name].keyReads;
