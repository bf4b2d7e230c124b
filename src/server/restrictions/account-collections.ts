/**
 * Collections that hold an account's sign-in state rather than data. A request made with a key
 * may read them as far as its role allows, but never write them: a key never changes the
 * account it acts for, its credentials, verifiers, sessions or keys. `users` is narrower:
 * a key whose role manages users may still change other users, never its owner.
 * (`apiKeys` is not here: key management refuses every write by a key, with its own code.)
 */
export const ACCOUNT_COLLECTIONS: Readonly<Record<string, string>> = {
  users: "the owner's profile, password and roles (other users: as the role allows)",
  rolesUsers: 'which roles a user holds',
  usersAuthenticators: 'which sign-in methods a user is linked to',
  authenticators: 'sign-in methods',
  usersVerifiers: 'two-factor verifiers bound to a user',
  usersVerificators: 'two-factor verifiers bound to a user (older name)',
  verifications: 'one-time verifications in progress',
  otpRecords: 'one-time codes',
  issuedTokens: 'sessions',
  tokenBlacklist: 'revoked sessions',
  tokenControlConfig: 'session policy',
  oidcStates: 'identity-provider sessions',
};

export const isAccountCollection = (name: string) => Object.prototype.hasOwnProperty.call(ACCOUNT_COLLECTIONS, name);
