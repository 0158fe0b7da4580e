import pkg from '../../../package.json' with { type: 'json' };

/** The version in package.json, as written into every manifest and dataset card. */
export const APP_VERSION: string = `codelynn-studio ${pkg.version}`;
