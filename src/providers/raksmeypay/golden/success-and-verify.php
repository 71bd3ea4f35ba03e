<?php
// Golden vectors for the success-URL hash and the verify-API hash, with the document's formulas
// (seed 000, "Success URL" and "Verify Transaction" PHP examples).
// Run: php success-and-verify.php > success-and-verify.vectors.json
$cases = [
  ["profile_key" => "YOUR_PROFILE_KEY", "transaction_id" => "12345678", "success_time" => "1764000000", "success_amount" => "0.01", "bakong_hash" => "a1b2c3d4"],
  ["profile_key" => "k3y-with~tilde", "transaction_id" => "100000001", "success_time" => "1764000123", "success_amount" => "12.5", "bakong_hash" => "5f0c9a7e2b"],
  ["profile_key" => "abc", "transaction_id" => "100000002", "success_time" => "1764000999", "success_amount" => "10", "bakong_hash" => "ffee"],
];
$out = [];
foreach ($cases as $c) {
  $b4hash = $c["profile_key"] . $c["success_time"] . $c["success_amount"] . $c["bakong_hash"] . $c["transaction_id"];
  $verify_hash = sha1($c["profile_key"] . (int)$c["transaction_id"]);
  $out[] = ["input" => $c, "success_hash" => sha1($b4hash), "verify_hash" => $verify_hash];
}
echo json_encode($out, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE), "\n";
