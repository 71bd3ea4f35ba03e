<?php
// The hash rules of developer.payway.com.kh, run as the document's PHP samples write them:
// base64_encode(hash_hmac('sha512', $b4hash, $api_key, true)) over the documented field order.
// Usage: php payway_hash.php > hash.vectors.json
$api_key = 'API KEY PROVIDED BY ABA BANK';

function qr_hash($f, $api_key) {
    // QR API page, "PHP Sample Code" of the hash field (its order; absent fields are empty strings).
    $b4hash = $f['req_time'] . $f['merchant_id'] . $f['tran_id'] . $f['amount'] . $f['items'] .
        $f['first_name'] . $f['last_name'] . $f['email'] . $f['phone'] . $f['purchase_type'] .
        $f['payment_option'] . $f['callback_url'] . $f['return_deeplink'] . $f['currency'] .
        $f['custom_fields'] . $f['return_params'] . $f['payout'] . $f['lifetime'] . $f['qr_image_template'];
    return base64_encode(hash_hmac('sha512', $b4hash, $api_key, true));
}
$blank = ['items' => '', 'first_name' => '', 'last_name' => '', 'email' => '', 'phone' => '', 'return_deeplink' => '',
    'custom_fields' => '', 'return_params' => '', 'payout' => ''];
$out = [];
// The QR API page's example request (amount 0.01 as a PHP float, callback_url as given, base64).
$example = array_merge($blank, ['req_time' => '20250312095439', 'merchant_id' => 'oldme', 'tran_id' => '20250311033231',
    'first_name' => 'ABA', 'last_name' => 'Bank', 'email' => 'aba.bank@gmail.com', 'phone' => '012345678', 'amount' => 0.01,
    'purchase_type' => 'purchase', 'payment_option' => 'abapay_khqr', 'currency' => 'USD',
    'callback_url' => 'aHR0cHM6Ly9hcGkuY2FsbGJhY2suY29tL25vdGlmeQ==', 'lifetime' => 6, 'qr_image_template' => 'template3_color']);
$out['qr_document_example'] = ['fields' => $example, 'hash' => qr_hash($example, $api_key)];
// What we send: no payer fields, PHP float amounts (12.5 USD, 5000 KHR), our callback_url base64-encoded.
foreach ([['12.5', 12.5, 'USD', '100000001'], ['5000', 5000, 'KHR', '100000002']] as [$text, $amount, $currency, $tran]) {
    $f = array_merge($blank, ['req_time' => '20261204170000', 'merchant_id' => 'ec000002', 'tran_id' => $tran, 'amount' => $amount,
        'purchase_type' => 'purchase', 'payment_option' => 'abapay_khqr', 'currency' => $currency,
        'callback_url' => base64_encode('https://pay.example.com/callbacks/payway/pushback'), 'lifetime' => 15,
        'qr_image_template' => 'template3_color']);
    $f['amount_text'] = (string)$amount;
    $out["qr_ours_$currency"] = ['fields' => $f, 'hash' => qr_hash($f, $api_key)];
}
// Check transaction page: hash of req_time . merchant_id . tran_id (its example request's values).
$out['check_document_example'] = ['req_time' => '20250213065545', 'merchant_id' => 'ec000002', 'tran_id' => '17394277693',
    'hash' => base64_encode(hash_hmac('sha512', '20250213065545' . 'ec000002' . '17394277693', $api_key, true))];
// Refund API page: hash of request_time . merchant_id . merchant_auth (its example's values).
$auth = '9aaa43e6929a75208cdb29ab498d9604600101d8dc00-20201019130940';
$out['refund_document_example'] = ['request_time' => '20210922050705', 'merchant_id' => 'ec000002', 'merchant_auth' => $auth,
    'hash' => base64_encode(hash_hmac('sha512', '20210922050705' . 'ec000002' . $auth, $api_key, true))];
$out['api_key'] = $api_key;
echo json_encode($out, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES), "\n";
