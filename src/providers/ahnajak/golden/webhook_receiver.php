<?php
// The document's webhook_receiver.php (seed 001, "Webhook Hash Verification"), verbatim except
// for the secret, served by `php -S` in generate-webhook-verdicts.sh.
// 1. READ INCOMING POST BODY
$raw_body  = file_get_contents('php://input');
$data      = json_decode($raw_body, true);
$secret    = 'sk_test_ahnajak_secret_0001';

// 2. VERIFY HEADER SIGNATURE (recommended)
$sig_header    = $_SERVER['HTTP_X_AHNAJAK_SIGNATURE'] ?? '';
$expected_sig  = hash_hmac('sha256', $raw_body, $secret);
if (!hash_equals($expected_sig, $sig_header)) {
    http_response_code(403);
    exit('Invalid signature');
}

// 3. VERIFY PAYLOAD HASH (double-check)
$expected_hash = hash('sha256',
    $data['transaction_id'] . $data['amount'] . $secret
);
if ($data['hash'] !== $expected_hash) {
    http_response_code(403);
    exit('Hash mismatch');
}

// 4. FULFILL THE ORDER ✅
if ($data['status'] === 'SUCCESS') {
    $order_id = $data['transaction_id'];
    $amount   = $data['amount'];
    // ... mark order as paid in your database
    http_response_code(200);
    echo json_encode(['received' => true]);
}
