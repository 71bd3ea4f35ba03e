/**
 * The PayWay simulator's one RSA key pair (DESIGN, "ABA PayWay"): a published sandbox test key, never a real credential.
 * A merchant's rsa_public_key must be PAYWAY_SANDBOX_RSA_PUBLIC_KEY (served at GET /sandbox/payway/rsa-public-key) for sandbox
 * refunds. Fixed, so every instance and every restart decrypts what any of them was sent.
 */
export const PAYWAY_SANDBOX_RSA_PRIVATE_KEY = `-----BEGIN PRIVATE KEY-----
MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDTTBGk9gFP2z/n
5t55mxnQWNDUTh56Vb49R7VsUfehAItoj/8pnMJvlr5FBziX7E0Wv+OZY8Fyy56s
Q2hbYmdYLVS3lVsIFcCUV6haONfnnTocR6W6W+WYQQlIRfFoaHbWsLGocGyFn9gE
F01B4+iRv4BzK0YwRDzUGpPpM2/mg4Sr2k6R5GScLmwvw57A+5MgO/sgAIpjNzhK
pU1w1voOjiFbxUxgUN5WSrzeeTGXzTZcr5O8mvG5C9YggIBjNr3jrAijz3shmoB6
Z5cPaYD5mPrEkWnHtdxgnNLhRuof68jeFnXO77NJZ5juuBzi1cDMefj86RAhk2s4
W907px59AgMBAAECggEAGIz2YN8nlF6CfKC12VXU6EEllIF2J5s2VTrzgMA+YEHm
sNHIYU6iReJzPaSC5h4R7/KAULaHR94SU+wqIDIdFWEA/qq3LseOPn435LHFnlcF
pTsK7c4XLXtjB3d+/vViV3wkzFAxv83shL8rXhxLzcF9PIR67YlEMxXaeUZdemA4
Gf7qTjDsBvrrbfkQsjjwmfAomF+fKr0RLzdYI1CRx0mxrzknBX1NEaqPcMC6MlNC
V/iz7W8oN07r+EXcT1nAUzupm8YYkP9ngjoQ0/oDn6TyjfJluxUxEauIxi2WBV6W
2aQOCCP6knPDiIn8pIUoZuvuxIH78jWtiAFXkf/wMQKBgQDqGzzbBEGUxL+milWP
Ehy6dLi6/uSCArwjAIEueZqq95WtsbAeAuR0PBpHG9WOIMeMZZH1hoSKo7g7vSTI
6YCgDmFzeKBIMb/t8AQoqIzXkkPnORIn3zM/D8Dejd20rhGmIWpNdy3vjVNontx1
HwO8Bps3xIBCud161alJgNFPMQKBgQDnDsC5b2NZR3YWU7GpztZp94IOUDgckdvz
TLqSGvlWOusjvxmedmzXVNd1Z7pXaJ4t2EB+IDLfdQj+RZx2yzoXHCKj6amcacyW
M1z7pF1ggQXyiwUHnRazcRinwojld3rEo2CeTh/slYPYn55La/sR7HY8RrKHwcWQ
UC2Cu3tpDQKBgQDUBu9K/cPX1Youb8Ol3KWgSe61jf2vsoJqwR4+1Ww7xBkQQ4pa
5Au9KmIyXQdBvnZ8tdFIKhkI59cIY/pY7QLN87hXOL0SJdzKx0M8/8rvw000sf+7
lO95Ae+QobRW3ACoEkOQ/YvhFoKgkqDggsKDHQifrZzs0iHCCplUNRNdQQKBgQDH
5RGC3AT9Zj+ZTUr094a0IncX3vrMbLv3HziB0mhH2602PcvyNc4v9Kx6XATwPggq
7V3OQBkDDYN8R8j3VRaqi6LEYBBmy3k9sK4O3sISDU2R6get8I+FKqED8d7xdo51
tEqQalJgIXHxZRZTddW+Se54c0lc/ZzoHxVgdsZruQKBgCRNzGpu3XSsE/reBsIq
0PBeLgBalWlwrknj+iLBGm2MGFYo0b+pweDKH5idMMAx+l00+bv5EzWlrG130YME
X0hLIB2GCrYmvZ5nL5p6PqfZf4EiDQEwX152Pmk7o7949a3rZDgPNZWalGvEayk+
1Mbwaip4CLYMHjn0wzyk2u+8
-----END PRIVATE KEY-----
`;

/** Its public half lives with the gateway (src/providers/payway/payway-sandbox-key.ts): a test-mode account registers it too. */
export { PAYWAY_SANDBOX_RSA_PUBLIC_KEY } from '../providers/payway/payway-sandbox-key';
