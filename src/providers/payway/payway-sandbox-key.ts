/**
 * The public half of the PayWay simulator's published RSA key pair (its private half is in
 * src/sandbox/payway-rsa-key.ts; served at GET /sandbox/payway/rsa-public-key). A merchant's sandbox
 * account and every simulated test-mode account register it as `rsa_public_key` for refunds, the way
 * a merchant copies ABA's key from its back office. A published test key, never a real credential.
 */
export const PAYWAY_SANDBOX_RSA_PUBLIC_KEY = `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA00wRpPYBT9s/5+beeZsZ
0FjQ1E4eelW+PUe1bFH3oQCLaI//KZzCb5a+RQc4l+xNFr/jmWPBcsuerENoW2Jn
WC1Ut5VbCBXAlFeoWjjX5506HEelulvlmEEJSEXxaGh21rCxqHBshZ/YBBdNQePo
kb+AcytGMEQ81BqT6TNv5oOEq9pOkeRknC5sL8OewPuTIDv7IACKYzc4SqVNcNb6
Do4hW8VMYFDeVkq83nkxl802XK+TvJrxuQvWIICAYza946wIo897IZqAemeXD2mA
+Zj6xJFpx7XcYJzS4UbqH+vI3hZ1zu+zSWeY7rgc4tXAzHn4/OkQIZNrOFvdO6ce
fQIDAQAB
-----END PUBLIC KEY-----
`;
