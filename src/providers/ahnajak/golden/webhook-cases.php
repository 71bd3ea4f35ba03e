<?php
// Posts each webhook below to the document's receiver (webhook_receiver.php) or its
// custom-template twin (webhook_receiver_custom.php), both served by `php -S`, and records
// what the PHP answered. Bodies are written as raw JSON text on purpose: the receiver hashes
// PHP's string form of whatever json_decode returns (numbers, booleans, arrays, nulls).
// Run through generate-webhook-verdicts.sh, which starts the server.
$base = $argv[1];
const SECRET = 'sk_test_ahnajak_secret_0001';
$h = fn(string $txn, string $amount, string $secret = SECRET) => hash('sha256', $txn . $amount . $secret);
$sig = fn(string $body, string $secret = SECRET) => hash_hmac('sha256', $body, $secret);
$j = fn(array $a) => json_encode($a, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);

$cases = [];
$add = function (string $name, string $receiver, string $body, ?string $header, bool $sandbox = false) use (&$cases) {
  $cases[] = compact('name', 'receiver', 'body', 'header', 'sandbox');
};
$signed = fn(string $name, string $body, string $receiver = 'default', bool $sandbox = false) => $add($name, $receiver, $body, $sig($body), $sandbox);

// What the sandbox sends (JSON.stringify of the default payload): accepted.
$b = $j(["transaction_id" => "100000001", "amount" => "12.50", "status" => "SUCCESS", "hash" => $h("100000001", "12.50")]);
$signed('default payload, amount as the string "12.50"', $b, 'default', true);
$b = $j(["order_id" => "100000001", "paid_amount" => "12.50", "payment_status" => "SUCCESS", "signature" => $h("100000001", "12.50")]);
$signed('custom template payload', $b, 'custom', true);
$signed('custom template receiver given the default field names', $j(["transaction_id" => "100000001", "amount" => "12.50", "status" => "SUCCESS", "hash" => $h("100000001", "12.50")]), 'custom');
$signed('amount string "12.5" hashed as sent', $j(["transaction_id" => "100000002", "amount" => "12.5", "status" => "SUCCESS", "hash" => $h("100000002", "12.5")]));
$signed('amount string "12.50" but hash over "12.5"', $j(["transaction_id" => "100000002", "amount" => "12.50", "status" => "SUCCESS", "hash" => $h("100000002", "12.5")]));

// JSON numbers: PHP hashes its own string form of the decoded value.
$signed('amount as the JSON number 12.50 (PHP prints 12.5)', '{"transaction_id":"100000003","amount":12.50,"status":"SUCCESS","hash":"' . $h("100000003", "12.5") . '"}');
$signed('amount as the JSON number 12.50, hash over "12.50"', '{"transaction_id":"100000003","amount":12.50,"status":"SUCCESS","hash":"' . $h("100000003", "12.50") . '"}');
$signed('amount as the JSON number 10.00 (PHP prints 10)', '{"transaction_id":"100000004","amount":10.00,"status":"SUCCESS","hash":"' . $h("100000004", "10") . '"}');
$signed('amount as the JSON number 1E2 (PHP prints 100)', '{"transaction_id":"100000004","amount":1E2,"status":"SUCCESS","hash":"' . $h("100000004", "100") . '"}');
$signed('amount as the JSON number 0.30000000000000004 (PHP prints 0.3)', '{"transaction_id":"100000004","amount":0.30000000000000004,"status":"SUCCESS","hash":"' . $h("100000004", "0.3") . '"}');
$signed('amount as the JSON number 1e15 (PHP prints 1.0E+15)', '{"transaction_id":"100000004","amount":1e15,"status":"SUCCESS","hash":"' . $h("100000004", "1.0E+15") . '"}');
$signed('amount as the JSON number 0.00001 (PHP prints 1.0E-5)', '{"transaction_id":"100000004","amount":0.00001,"status":"SUCCESS","hash":"' . $h("100000004", "1.0E-5") . '"}');
$signed('amount a 400-digit integer (PHP: INF)', '{"transaction_id":"100000004","amount":1' . str_repeat('0', 399) . ',"status":"SUCCESS","hash":"' . $h("100000004", "INF") . '"}');
$signed('amount 12345678901234567890 (PHP: 1.2345678901235E+19)', '{"transaction_id":"100000004","amount":12345678901234567890,"status":"SUCCESS","hash":"' . $h("100000004", "1.2345678901235E+19") . '"}');
$signed('transaction_id as a JSON integer', '{"transaction_id":100000005,"amount":"5.00","status":"SUCCESS","hash":"' . $h("100000005", "5.00") . '"}');
$signed('transaction_id beyond int64 (PHP makes it a float)', '{"transaction_id":9223372036854775808,"amount":"5.00","status":"SUCCESS","hash":"' . $h("9.2233720368548E+18", "5.00") . '"}');
$signed('transaction_id true (PHP prints 1)', '{"transaction_id":true,"amount":"5.00","status":"SUCCESS","hash":"' . $h("1", "5.00") . '"}');
$signed('amount an array (PHP prints Array)', '{"transaction_id":"100000006","amount":[1],"status":"SUCCESS","hash":"' . $h("100000006", "Array") . '"}');
$signed('amount missing, hash over the empty string', '{"transaction_id":"100000006","status":"SUCCESS","hash":"' . $h("100000006", "") . '"}');
$signed('amount null, hash over the empty string', '{"transaction_id":"100000006","amount":null,"status":"SUCCESS","hash":"' . $h("100000006", "") . '"}');

// Bytes, not structure, are signed: whitespace and escapes are fine when signed as sent.
$signed('pretty-printed body', json_encode(["transaction_id" => "100000007", "amount" => "7.25", "status" => "SUCCESS", "hash" => $h("100000007", "7.25")], JSON_PRETTY_PRINT));
$signed('unicode-escaped transaction_id', '{"transaction_id":"\u0031\u0030\u0030\u0030\u0030\u0030\u0030\u0030\u0038","amount":"8.00","status":"SUCCESS","hash":"' . $h("100000008", "8.00") . '"}');
$signed('duplicate keys: the last one wins', '{"transaction_id":"100000009","amount":"1.00","status":"SUCCESS","amount":"9.00","hash":"' . $h("100000009", "9.00") . '"}');
$signed('extra fields are ignored', $j(["transaction_id" => "100000010", "amount" => "10.00", "status" => "SUCCESS", "hash" => $h("100000010", "10.00"), "currency" => "USD", "paid_at" => "2026-01-01 00:00:00"]));

// Not SUCCESS: verified, but the receiver does nothing.
$signed('status PENDING', $j(["transaction_id" => "100000011", "amount" => "1.00", "status" => "PENDING", "hash" => $h("100000011", "1.00")]));
$signed('status "success" in lower case', $j(["transaction_id" => "100000011", "amount" => "1.00", "status" => "success", "hash" => $h("100000011", "1.00")]));
$signed('status missing', $j(["transaction_id" => "100000011", "amount" => "1.00", "hash" => $h("100000011", "1.00")]));

// Header signature failures.
$good = $j(["transaction_id" => "100000012", "amount" => "12.00", "status" => "SUCCESS", "hash" => $h("100000012", "12.00")]);
$add('no X-Ahnajak-Signature header', 'default', $good, null);
$add('empty X-Ahnajak-Signature header', 'default', $good, '');
$add('header signed with another secret', 'default', $good, $sig($good, 'another-merchant-secret'));
$add('header signature in upper case hex', 'default', $good, strtoupper($sig($good)));
$add('header signature truncated', 'default', $good, substr($sig($good), 0, 63));
$add('header signature of the body before tampering', 'default', str_replace('"12.00"', '"0.01"', $good), $sig($good));
$add('header signature over the body re-serialised', 'default', json_encode(json_decode($good), JSON_PRETTY_PRINT), $sig($good));
$add('header is a sha256 of the body, not an HMAC', 'default', $good, hash('sha256', $good));

// Good header, bad payload hash.
$signed('payload hash made with another secret', $j(["transaction_id" => "100000013", "amount" => "13.00", "status" => "SUCCESS", "hash" => $h("100000013", "13.00", 'another-merchant-secret')]));
$signed('payload hash for another transaction', $j(["transaction_id" => "100000013", "amount" => "13.00", "status" => "SUCCESS", "hash" => $h("100000014", "13.00")]));
$signed('payload hash for another amount', $j(["transaction_id" => "100000013", "amount" => "13.00", "status" => "SUCCESS", "hash" => $h("100000013", "0.01")]));
$signed('payload hash in upper case hex', $j(["transaction_id" => "100000013", "amount" => "13.00", "status" => "SUCCESS", "hash" => strtoupper($h("100000013", "13.00"))]));
$signed('payload hash missing', $j(["transaction_id" => "100000013", "amount" => "13.00", "status" => "SUCCESS"]));
$signed('payload hash as a JSON number', '{"transaction_id":"100000013","amount":"13.00","status":"SUCCESS","hash":12345}');
$signed('custom template receiver given a default-template body', $j(["transaction_id" => "100000013", "amount" => "13.00", "status" => "SUCCESS", "hash" => $h("100000013", "13.00")]), 'custom');
$signed('not JSON at all', 'transaction_id=100000013&amount=13.00&status=SUCCESS');
$signed('empty body', '');
$signed('JSON list', '["100000013","13.00","SUCCESS"]');
$signed('JSON null', 'null');
$signed('JSON number', '42');
$signed('invalid UTF-8 inside a string', "{\"transaction_id\":\"10000\xff\",\"amount\":\"1.00\",\"status\":\"SUCCESS\",\"hash\":\"" . $h("10000\xff", "1.00") . "\"}");
$signed('JSON string (PHP dies with a TypeError)', '"100000013"');

// json_decode's own limits: depth 512, unpaired surrogates, negative zero.
$nest = fn(int $n) => str_repeat('[', $n) . str_repeat(']', $n);
$signed('511 nested arrays and objects: json_decode\'s limit at its default depth 512', '{"transaction_id":"100000015","amount":"1.00","status":"SUCCESS","hash":"' . $h("100000015", "1.00") . '","x":' . $nest(510) . '}');
$signed('512 nested arrays and objects: one beyond the limit', '{"transaction_id":"100000015","amount":"1.00","status":"SUCCESS","hash":"' . $h("100000015", "1.00") . '","x":' . $nest(511) . '}');
$signed('an unpaired UTF-16 surrogate escape', '{"transaction_id":"100000015","amount":"1.00","status":"SUCCESS","hash":"' . $h("100000015", "1.00") . '","x":"\ud800"}');
$signed('a surrogate pair escape', '{"transaction_id":"100000015","amount":"1.00","status":"SUCCESS","hash":"' . $h("100000015", "1.00") . '","x":"\ud83d\ude00"}');
$signed('amount -0 (PHP decodes the integer 0)', '{"transaction_id":"100000015","amount":-0,"status":"SUCCESS","hash":"' . $h("100000015", "0") . '"}');
$signed('amount -0.0 (PHP prints -0)', '{"transaction_id":"100000015","amount":-0.0,"status":"SUCCESS","hash":"' . $h("100000015", "-0") . '"}');
$signed('trailing garbage after the object', $j(["transaction_id" => "100000015", "amount" => "1.00", "status" => "SUCCESS", "hash" => $h("100000015", "1.00")]) . 'x');
$signed('leading and trailing whitespace', " \n" . $j(["transaction_id" => "100000015", "amount" => "1.00", "status" => "SUCCESS", "hash" => $h("100000015", "1.00")]) . "\r\n\t ");

$out = [];
foreach ($cases as $c) {
  $headers = "Content-Type: application/json\r\n" . ($c['header'] === null ? '' : "X-Ahnajak-Signature: {$c['header']}\r\n");
  $ctx = stream_context_create(['http' => ['method' => 'POST', 'header' => $headers, 'content' => $c['body'], 'ignore_errors' => true, 'timeout' => 10]]);
  $file = $c['receiver'] === 'custom' ? 'webhook_receiver_custom.php' : 'webhook_receiver.php';
  $resp = file_get_contents("$base/$file", false, $ctx);
  preg_match('#^HTTP/\S+ (\d{3})#', $http_response_header[0], $m);
  $status = (int)$m[1];
  $verdict = match (true) {
    $status === 403 && $resp === 'Invalid signature' => 'invalid_signature',
    $status === 403 && $resp === 'Hash mismatch' => 'hash_mismatch',
    $status === 200 && $resp === '{"received":true}' => 'fulfilled',
    $status === 200 && $resp === '' => 'ignored',
    default => "error_$status",
  };
  $out[] = [
    'name' => $c['name'],
    'receiver' => $c['receiver'],
    'sandbox' => $c['sandbox'],
    'body_base64' => base64_encode($c['body']),
    'body' => preg_match('//u', $c['body']) ? $c['body'] : null,
    'signature' => $c['header'],
    'php_status' => $status,
    'php_body' => preg_match('//u', $resp) ? $resp : base64_encode($resp),
    'verdict' => $verdict,
  ];
}
echo json_encode($out, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE), "\n";
