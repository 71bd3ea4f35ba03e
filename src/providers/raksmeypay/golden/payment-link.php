<?php
// Golden vectors for the RaksmeyPay payment link, computed with the document's own code
// (seed 000, "QR Payment Page" PHP example), varying only the inputs.
// Run: php payment-link.php > payment-link.vectors.json
$cases = [
  ["profile_key" => "YOUR_PROFILE_KEY", "profile_id" => "YOUR_PROFILE_ID", "transaction_id" => 12345678, "amount" => 0.01, "success_url" => "https://yoursite.com/payment/success?transaction_id=12345678", "remark" => "payment from Mr.A"],
  ["profile_key" => "k3y-with~tilde", "profile_id" => "1001", "transaction_id" => 100000001, "amount" => 12.50, "success_url" => "http://localhost:3000/callbacks/raksmeypay/100000001/return", "remark" => "INV-2026-0001"],
  ["profile_key" => "abc", "profile_id" => "77", "transaction_id" => 100000002, "amount" => 10.00, "success_url" => "https://pay.example.com/callbacks/raksmeypay/100000002/return", "remark" => "Order #88 & co/ü"],
  ["profile_key" => "abc", "profile_id" => "77", "transaction_id" => 100000003, "amount" => 1234.5, "success_url" => "https://pay.example.com/r?a=1&b=two words", "remark" => ""],
  ["profile_key" => "abc", "profile_id" => "77", "transaction_id" => 100000004, "amount" => 99999.99, "success_url" => "https://pay.example.com/x", "remark" => "*~'()!"],
  ["profile_key" => "abc", "profile_id" => "77", "transaction_id" => 100000005, "amount" => 0.1, "success_url" => "https://pay.example.com/x", "remark" => "ការបង់ប្រាក់"],
];
$out = [];
foreach ($cases as $c) {
  $my_payment_url = "https://www.uat.raksmeypay.com/payment/request/" . $c["profile_id"];
  $profile_key = $c["profile_key"];
  $transaction_id = $c["transaction_id"];
  $amount = $c["amount"];
  $success_url = urlencode($c["success_url"]);
  $remark = $c["remark"];
  $hash = sha1($profile_key . $transaction_id . $amount . $success_url . $remark);
  $parameters = [
    "transaction_id" => $transaction_id,
    "amount" => $amount,
    "success_url" => $success_url,
    "remark" => $remark,
    "hash" => $hash
  ];
  $queryString = http_build_query($parameters);
  $payment_link_url = $my_payment_url."?".$queryString;
  $out[] = ["input" => $c + ["amount_php" => (string)$amount], "hash" => $hash, "url" => $payment_link_url];
}
echo json_encode($out, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE), "\n";
