<?php
// Golden vectors for the Ahnajak (ABA Pay) redirect URL, computed with the document's own
// aba_checkout.php (seed 001, "PHP — Redirect Flow"), varying only the inputs; the
// `header("Location: …")` is replaced by recording $final_url.
// Run: php aba_checkout.php > checkout.vectors.json
$cases = [
  // The document's own example values (a fixed transaction_id instead of "ORDER_" . time()).
  ["profile_id" => "YOUR_PROFILE_ID", "secret_key" => "YOUR_SECRET_KEY", "transaction_id" => "ORDER_1764000000", "amount" => 12.50, "success_url" => "https://yoursite.com/thank-you", "remark" => "Order #88"],
  // What the orchestrator sends: the numeric transaction number and its own return URL.
  ["profile_id" => "1001", "secret_key" => "sk-live-abc123", "transaction_id" => 100000001, "amount" => 12.50, "success_url" => "http://127.0.0.1:3000/callbacks/ahnajak/100000001/return", "remark" => "INV-2026-0001"],
  ["profile_id" => "1001", "secret_key" => "sk-live-abc123", "transaction_id" => 100000002, "amount" => 10.00, "success_url" => "https://pay.example.com/callbacks/ahnajak/100000002/return", "remark" => "Order #88 & co/ü"],
  ["profile_id" => "demo-ahnajak", "secret_key" => "k3y~with spaces", "transaction_id" => 100000003, "amount" => 0.01, "success_url" => "https://pay.example.com/callbacks/ahnajak/100000003/return", "remark" => ""],
  ["profile_id" => "77", "secret_key" => "abc", "transaction_id" => 100000004, "amount" => 1234.5, "success_url" => "https://pay.example.com/r?a=1&b=two words", "remark" => "*~'()!"],
  ["profile_id" => "77", "secret_key" => "abc", "transaction_id" => 100000005, "amount" => 99999.99, "success_url" => "https://pay.example.com/x", "remark" => "ការបង់ប្រាក់"],
  ["profile_id" => "77", "secret_key" => "abc", "transaction_id" => 100000006, "amount" => 0.10, "success_url" => "https://pay.example.com/x", "remark" => "r"],
  ["profile_id" => "77", "secret_key" => "abc", "transaction_id" => 100000007, "amount" => 100000.00, "success_url" => "https://pay.example.com/x", "remark" => "r"],
  ["profile_id" => "77", "secret_key" => "abc", "transaction_id" => 100000008, "amount" => 20.05, "success_url" => "https://pay.example.com/x", "remark" => "r"],
];
$out = [];
foreach ($cases as $c) {
  // 1. CONFIGURATION
  $gateway_url = "https://abapay.kesor.cam/api/payment/requestv2";
  $profile_id  = $c["profile_id"];
  $secret_key  = $c["secret_key"];

  // 2. TRANSACTION DETAILS
  $payment_data = [
      "transaction_id" => $c["transaction_id"],
      "amount"         => $c["amount"],
      "success_url"    => $c["success_url"],
      "remark"         => $c["remark"]
  ];

  // 3. SECURITY HASH: sha256(profile_id + transaction_id + amount + secret_key)
  $raw = $profile_id
        . $payment_data['transaction_id']
        . $payment_data['amount']
        . $secret_key;
  $payment_data['hash'] = hash('sha256', $raw);

  // 4. REDIRECT CUSTOMER TO ABA CHECKOUT
  $final_url = $gateway_url . "/" . $profile_id . "?" . http_build_query($payment_data);

  $out[] = ["input" => $c + ["amount_php" => (string)$c["amount"]], "hash" => $payment_data['hash'], "url" => $final_url];
}
echo json_encode($out, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE), "\n";
