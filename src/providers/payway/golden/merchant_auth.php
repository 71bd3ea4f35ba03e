<?php
// merchant_auth as the Refund API page's PHP sample builds it: openssl_public_encrypt per 117-byte chunk (PKCS#1 v1.5,
// PHP's default padding), concatenated, bin2hex. Reads the public key PEM from argv[1] and the JSON from argv[2].
// Usage: php merchant_auth.php key.pem '{"mc_id":"ec000002","tran_id":"100000001","refund_amount":"0.01"}'
$public_key = file_get_contents($argv[1]);
$data = $argv[2];
$output = '';
foreach (str_split($data, 117) as $chunk) {
    openssl_public_encrypt($chunk, $encrypted, $public_key);
    $output .= $encrypted;
}
echo bin2hex($output), "\n";
