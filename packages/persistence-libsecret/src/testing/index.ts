export type { SecretServiceTestMode } from './secret-service-test-mode.js';
export { SKIP_SECRET_SERVICE_FLAG, secretServiceTestMode, skippedNotice } from './secret-service-test-mode.js';
