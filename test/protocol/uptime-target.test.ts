import { describe, expect, it } from "vitest";
import { isInternalHost } from "../../protocol/uptime-target";

describe("isInternalHost", () => {
  // [URL, internal?]: hosts as the URL parser leaves them, which writes an embedded IPv4 in hex.
  const table: Array<[string, boolean]> = [
    ["http://[::1]/", true],
    ["http://[::]/", true],
    ["http://[::127.0.0.1]/", true], // IPv4-compatible, [::7f00:1]
    ["http://[::10.0.0.1]/", true],
    ["http://[::ffff:127.0.0.1]/", true], // IPv4-mapped
    ["http://[::ffff:169.254.169.254]/", true],
    ["http://[::ffff:0:127.0.0.1]/", true], // IPv4-translated
    ["http://[64:ff9b::127.0.0.1]/", true], // NAT64
    ["http://[64:ff9b::192.168.0.1]/", true],
    ["http://[64:ff9b:1::1]/", true], // local-use NAT64
    ["http://[2002:7f00:1::]/", true], // 6to4 of 127.0.0.1
    ["http://[2002:a00:1::1]/", true], // 6to4 of 10.0.0.1
    ["http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/", true], // Teredo, client 127.0.0.1
    ["http://[2001:0:a00:1:8000:63bf:a247:2bdd]/", true], // Teredo, server 10.0.0.1
    ["http://[2001:db8::1]/", true], // documentation
    ["http://[fd00::1]/", true],
    ["http://[fe80::1]/", true],
    ["http://[ff02::1]/", true],
    ["http://192.0.0.8/", true], // IETF protocol assignments
    ["http://192.0.2.1/", true], // TEST-NET-1
    ["http://198.51.100.7/", true], // TEST-NET-2
    ["http://203.0.113.9/", true], // TEST-NET-3
    ["http://[::ffff:93.184.216.34]/", false],
    ["http://[64:ff9b::93.184.216.34]/", false],
    ["http://[2002:5db8:d822::1]/", false], // 6to4 of 93.184.216.34
    ["http://[2001:0:4136:e378:8000:63bf:a247:2bdd]/", false], // Teredo, client 93.184.212.34
    ["http://[2606:4700::1111]/", false],
    ["http://[2001:4860:4860::8888]/", false],
    ["http://192.0.1.1/", false],
    ["http://203.0.114.1/", false],
    ["http://93.184.216.34/", false],
  ];
  for (const [url, internal] of table)
    it(`${url} is ${internal ? "" : "not "}internal`, () => {
      expect(isInternalHost(new URL(url).hostname)).toBe(internal);
    });
});
