// WireMock's own Java client (the WireMock class of its standalone jar) driving a server, call by call.
// Run: java -cp wiremock-standalone.jar:. WireMockClientDriver HOST PORT
// Prints "PASS name" or "FAIL name<TAB>why" per check and exits 1 if any failed; the same expectations
// hold against WireMock 3.13.2 and against mockpit (tests/test_java_client.py runs both).
import static com.github.tomakehurst.wiremock.client.WireMock.*;

import com.github.tomakehurst.wiremock.client.WireMock;
import com.github.tomakehurst.wiremock.common.Metadata;
import com.github.tomakehurst.wiremock.global.GlobalSettings;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import com.github.tomakehurst.wiremock.stubbing.StubMapping;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.UUID;

public class WireMockClientDriver {
  static int passed = 0, failed = 0;
  static String base;
  static WireMock wm;
  // java.net.http at its default, as a Java team's tests use it: HTTP/2, which on http:// sends every
  // request with Upgrade: h2c (mockpit answers in HTTP/1.1, with the request's body read whole)
  static final HttpClient http = HttpClient.newHttpClient();

  interface Check { void run() throws Exception; }

  static void check(String name, Check check) {
    try {
      wm.resetToDefaultMappings();
      wm.resetRequests();
      check.run();
      passed++;
      System.out.println("PASS " + name);
    } catch (Throwable t) {
      failed++;
      System.out.println("FAIL " + name + "\t" + String.valueOf(t).replace("\n", " ").replace("\t", " "));
    }
  }

  static void expect(boolean ok, String what) { if (!ok) throw new AssertionError(what); }

  static <T> void equal(T actual, T expected) {
    if (actual == null ? expected != null : !actual.equals(expected))
      throw new AssertionError("expected " + expected + ", got " + actual);
  }

  static HttpResponse<String> send(String method, String path, String body, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> fetch(String path) throws Exception { return send("GET", path, null); }

  public static void main(String[] args) throws Exception {
    String host = args[0];
    int port = Integer.parseInt(args[1]);
    base = "http://" + host + ":" + port;
    wm = new WireMock(host, port);
    WireMock.configureFor(host, port);

    check("stubFor + a request answers", () -> {
      wm.register(get("/hello").willReturn(ok("hi").withHeader("X-A", "1")));
      HttpResponse<String> r = fetch("/hello");
      equal(r.statusCode(), 200);
      equal(r.body(), "hi");
      equal(r.headers().firstValue("X-A").orElse(null), "1");
    });
    check("Matched-Stub-Id header names the stub", () -> {
      StubMapping s = wm.register(get("/id").willReturn(ok()));
      equal(fetch("/id").headers().firstValue("Matched-Stub-Id").orElse(null), s.getId().toString());
    });
    check("no Server header naming uvicorn", () -> {
      wm.register(get("/srv").willReturn(ok()));
      String server = fetch("/srv").headers().firstValue("Server").orElse("");
      expect(!server.toLowerCase().contains("uvicorn"), "Server: " + server);
    });
    check("static stubFor/verify", () -> {
      stubFor(post("/static").willReturn(created()));
      equal(send("POST", "/static", "x").statusCode(), 201);
      verify(postRequestedFor(urlEqualTo("/static")));
      verify(1, postRequestedFor(urlEqualTo("/static")));
    });
    check("verify forms: exactly, moreThan, lessThan, never", () -> {
      wm.register(get("/v").willReturn(ok()));
      fetch("/v"); fetch("/v");
      wm.verifyThat(2, getRequestedFor(urlEqualTo("/v")));
      wm.verifyThat(exactly(2), getRequestedFor(urlEqualTo("/v")));
      wm.verifyThat(moreThan(1), getRequestedFor(urlEqualTo("/v")));
      wm.verifyThat(moreThanOrExactly(2), getRequestedFor(urlEqualTo("/v")));
      wm.verifyThat(lessThan(3), getRequestedFor(urlEqualTo("/v")));
      wm.verifyThat(lessThanOrExactly(2), getRequestedFor(urlEqualTo("/v")));
      wm.verifyThat(0, getRequestedFor(urlEqualTo("/never")));
      boolean threw = false;
      try { wm.verifyThat(3, getRequestedFor(urlEqualTo("/v"))); } catch (AssertionError e) { threw = true; }
      expect(threw, "verify of a wrong count must fail");
    });
    check("verify with headers, query, body", () -> {
      wm.register(any(anyUrl()).willReturn(ok()));
      send("POST", "/b?q=1", "{\"a\":1}", "Content-Type", "application/json", "X-T", "t");
      wm.verifyThat(postRequestedFor(urlPathEqualTo("/b")).withQueryParam("q", equalTo("1"))
          .withHeader("X-T", equalTo("t")).withRequestBody(equalToJson("{\"a\":1}")));
    });
    check("findAll / find returns logged requests with fields", () -> {
      wm.register(any(anyUrl()).willReturn(ok()));
      send("POST", "/f", "a=1&b=2", "Content-Type", "application/x-www-form-urlencoded");
      List<LoggedRequest> found = wm.find(postRequestedFor(urlEqualTo("/f")));
      equal(found.size(), 1);
      LoggedRequest r = found.get(0);
      equal(r.getBodyAsString(), "a=1&b=2");
      equal(r.formParameter("a").firstValue(), "1");
      equal(r.getScheme(), "http");
      equal(r.getPort(), port);
      expect(r.getProtocol() != null && r.getProtocol().startsWith("HTTP/"), "protocol " + r.getProtocol());
      expect(r.getHost() != null, "host");
      expect(findAll(postRequestedFor(urlEqualTo("/f"))).size() == 1, "static findAll");
    });
    check("unmatched serve events: wasMatched false, responseDefinition 404", () -> {
      fetch("/nothing-here");
      List<ServeEvent> events = wm.getServeEvents();
      equal(events.size(), 1);
      ServeEvent e = events.get(0);
      equal(e.getWasMatched(), false);
      equal(e.getResponseDefinition().getStatus(), 404);
      expect(e.getTiming() != null, "timing");
      expect(e.getSubEvents() != null, "subEvents");
    });
    check("matched serve events name the stub", () -> {
      StubMapping s = wm.register(get("/m").willReturn(ok()));
      fetch("/m");
      ServeEvent e = getAllServeEvents().get(0);
      // WireMock journals the event before the response has finished writing and fills in its total time
      // afterwards, so right after the response the total can still be null there: wait for it (2 s at most)
      for (int i = 0; i < 40 && (e.getTiming() == null || e.getTiming().getTotalTime() == null); i++) {
        Thread.sleep(50);
        e = getAllServeEvents().get(0);
      }
      equal(e.getWasMatched(), true);
      equal(e.getStubMapping().getId(), s.getId());
      equal(e.getResponse().getStatus(), 200);
      expect(e.getTiming() != null && e.getTiming().getTotalTime() != null, "timing");
    });
    check("findUnmatchedRequests and near misses", () -> {
      wm.register(get("/near").willReturn(ok()));
      fetch("/nearly");
      equal(wm.findAllUnmatchedRequests().size(), 1);
      expect(!wm.findNearMissesForAllUnmatchedRequests().isEmpty(), "near misses");
      LoggedRequest unmatched = wm.findAllUnmatchedRequests().get(0);
      expect(!wm.findTopNearMissesFor(unmatched).isEmpty(), "near misses for a request");
      expect(!wm.findAllNearMissesFor(getRequestedFor(urlEqualTo("/near"))).isEmpty(), "near misses for a pattern");
    });
    check("removeStub(stubMapping) and removeStub(mappingBuilder)", () -> {
      StubMapping s = wm.register(get("/rm").willReturn(ok()));
      wm.removeStubMapping(s);
      equal(fetch("/rm").statusCode(), 404);
      wm.register(get("/rm2").willReturn(ok()));
      removeStub(get("/rm2"));
      equal(fetch("/rm2").statusCode(), 404);
      StubMapping s3 = wm.register(get("/rm3").willReturn(ok()));
      wm.removeStubMapping(s3.getId());
      equal(fetch("/rm3").statusCode(), 404);
    });
    check("editStub and getStubMapping", () -> {
      UUID id = UUID.randomUUID();
      wm.register(get("/e").withId(id).willReturn(ok("one")));
      wm.editStubMapping(get("/e").withId(id).willReturn(ok("two")));
      equal(fetch("/e").body(), "two");
      equal(wm.getStubMapping(id).getItem().getId(), id);
    });
    check("listAllStubMappings: priority, then newest", () -> {
      StubMapping a = wm.register(get("/o1").atPriority(5).willReturn(ok()));
      StubMapping b = wm.register(get("/o2").atPriority(1).willReturn(ok()));
      StubMapping c = wm.register(get("/o3").atPriority(5).willReturn(ok()));
      List<StubMapping> all = wm.allStubMappings().getMappings();
      equal(all.get(0).getId(), b.getId());
      equal(all.get(1).getId(), c.getId());
      equal(all.get(2).getId(), a.getId());
    });
    check("getOrHead", () -> {
      wm.register(getOrHead(urlEqualTo("/goh")).willReturn(ok("x")));
      equal(fetch("/goh").statusCode(), 200);
      equal(send("HEAD", "/goh", null).statusCode(), 200);
      equal(send("POST", "/goh", "").statusCode(), 404);
    });
    check("scenarios", () -> {
      wm.register(get("/s").inScenario("S").whenScenarioStateIs(com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED).willReturn(ok("1")).willSetStateTo("two"));
      wm.register(get("/s").inScenario("S").whenScenarioStateIs("two").willReturn(ok("2")));
      equal(fetch("/s").body(), "1");
      equal(fetch("/s").body(), "2");
      equal(wm.getScenarios().get(0).getState(), "two");
      wm.setSingleScenarioState("S", com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED);
      equal(fetch("/s").body(), "1");
      wm.resetScenarioState("S");
      wm.resetScenarios();
      equal(fetch("/s").body(), "1");
    });
    check("global settings: fixed delay, random delay", () -> {
      wm.setGlobalFixedDelay(1);
      equal(wm.getGlobalSettings().getFixedDelay(), 1);
      wm.setGlobalRandomDelay(new com.github.tomakehurst.wiremock.http.UniformDistribution(1, 2));
      expect(wm.getGlobalSettings().getDelayDistribution() != null, "delayDistribution");
      wm.updateGlobalSettings(GlobalSettings.defaults());
    });
    check("metadata: find and remove", () -> {
      wm.register(get("/md").withMetadata(Metadata.metadata().attr("team", "a")).willReturn(ok()));
      equal(wm.findAllStubsByMetadata(matchingJsonPath("$.team", equalTo("a"))).size(), 1);
      wm.removeStubsByMetadataPattern(matchingJsonPath("$.team", equalTo("a")));
      equal(fetch("/md").statusCode(), 404);
    });
    check("importStubs", () -> {
      wm.importStubMappings(com.github.tomakehurst.wiremock.stubbing.StubImport.stubImport()
          .stub(get("/i1").willReturn(ok("i1"))).stub(get("/i2").willReturn(ok("i2"))));
      equal(fetch("/i1").body(), "i1");
      equal(fetch("/i2").body(), "i2");
    });
    check("removeServeEvents and countRequestsMatching", () -> {
      wm.register(any(anyUrl()).willReturn(ok()));
      fetch("/c1"); fetch("/c2");
      equal(wm.find(getRequestedFor(urlEqualTo("/c1"))).size(), 1);
      wm.removeEvents(getRequestedFor(urlEqualTo("/c1")));
      equal(wm.getServeEvents().size(), 1);
      removeServeEvent(wm.getServeEvents().get(0).getId());
      equal(wm.getServeEvents().size(), 0);
    });
    check("templates: single query param as a list", () -> {
      wm.register(get(urlPathEqualTo("/t")).willReturn(ok("{{#each request.query.tag}}[{{this}}]{{/each}}|{{request.query.tag}}").withTransformers("response-template")));
      equal(fetch("/t?tag=z").body(), "[z]|z");
      equal(fetch("/t?tag=a&tag=b").body(), "[a][b]|a");
    });
    check("recording: snapshot with requestBodyPatternFactory", () -> {
      wm.register(get(urlPathEqualTo("/rec/items")).willReturn(ok("items")));
      fetch("/rec/items?page=2");
      List<StubMapping> stubs = wm.takeSnapshotRecording(recordSpec().onlyRequestsMatching(getRequestedFor(urlPathEqualTo("/rec/items"))).allowNonProxied(true).matchRequestBodyWithEqualToJson());
      equal(stubs.size(), 1);
      StubMapping s = stubs.get(0);
      equal(s.getRequest().getUrlPath(), "/rec/items");
      expect(s.getRequest().getQueryParameters().containsKey("page"), "queryParameters");
      expect(s.getName() != null, "name");
    });
    check("recording: start, status, stop", () -> {
      wm.startStubRecording(recordSpec().forTarget(base).onlyRequestsMatching(getRequestedFor(urlPathEqualTo("/never-sent"))));
      equal(wm.getStubRecordingStatus().getStatus().name(), "Recording");
      wm.stopStubRecording();
      equal(wm.getStubRecordingStatus().getStatus().name(), "Stopped");
    });
    check("removeAllMappings and resetAll", () -> {
      wm.register(get("/x").willReturn(ok()));
      wm.resetMappings();
      equal(fetch("/x").statusCode(), 404);
      wm.register(get("/y").willReturn(ok()));
      wm.resetToDefaultMappings();
      equal(fetch("/y").statusCode(), 404);
      wm.register(get("/z").willReturn(ok()));
      reset();
      equal(wm.getServeEvents().size(), 0);
      equal(fetch("/z").statusCode(), 404);
    });
    check("saveMappings then resetToDefault leaves none", () -> {
      wm.register(get("/saved").willReturn(ok()));
      wm.saveMappings();
      wm.resetToDefaultMappings();
      equal(fetch("/saved").statusCode(), 200);
      wm.removeMappings();
      wm.resetToDefaultMappings();
      equal(fetch("/saved").statusCode(), 404);
    });
    check("shutdown is last: not called", () -> {});

    System.out.println("passed " + passed + " failed " + failed);
    System.exit(failed == 0 ? 0 : 1);
  }
}
