import { packageProject } from '../../vitest.shared.js';

export default packageProject('msal-plugin');
