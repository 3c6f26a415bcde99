#include "harness.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <reprocheck/recipe.h>

/* Test inputs are written with single quotes, which become double quotes
 * before parsing, so that the JSON stays readable in C strings. */
static char *quotes_to_json(const char *text)
{
	char *json = strdup(text);

	for (char *cursor = json; *cursor != '\0'; cursor++) {
		if (*cursor == '\'')
			*cursor = '"';
	}
	return json;
}

static int parse_quoted(repro_recipe **out, const char *text, repro_error *err)
{
	char *json = quotes_to_json(text);
	int result = repro_recipe_parse(out, json, strlen(json), err);

	free(json);
	return result;
}

#define HASH_A "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static const char full_recipe[] =
	"{'schemaVersion': 1, 'sourceDateEpoch': 1733000000,"
	" 'images': [{"
	"  'name': 'hello', 'reference': 'registry.example.com/acme/hello',"
	"  'platform': 'linux/arm64/v8', 'base': 'scratch',"
	"  'build': [{'run': ['sh', '-c', 'cc -O2 -o out/hello src/hello.c'],"
	"             'env': {'CFLAGS': '-O2', 'PATH': '/usr/local/bin:/usr/bin'},"
	"             'timeoutSeconds': 900},"
	"            {'run': ['make']}],"
	"  'layers': [{'copy': [{'from': 'out/hello', 'to': '/usr/bin/hello', 'mode': '0755'}]},"
	"             {'copy': [{'from': 'assets/', 'to': '/usr/share/hello/', 'uid': 1000, 'gid': 100}]}],"
	"  'config': {'Entrypoint': ['/usr/bin/hello'], 'Cmd': [], 'Env': ['PATH=/usr/bin'],"
	"             'User': '65532:65532', 'WorkingDir': '/', 'Labels': {'l': 'v'},"
	"             'ExposedPorts': {'8080/tcp': {}, '53': {}}, 'Volumes': {'/data': {}},"
	"             'StopSignal': 'SIGTERM'},"
	"  'annotations': {'org.opencontainers.image.title': 'hello'}"
	" }, {"
	"  'name': 'tools', 'base': {'layout': 'vendor/base', 'digest': '" HASH_A "'}"
	" }]}";

static void test_parse_full_recipe(void)
{
	repro_recipe *recipe = NULL;
	const repro_recipe_image *image;
	repro_error err;

	ASSERT_OK(parse_quoted(&recipe, full_recipe, &err), &err);
	if (recipe == NULL)
		return;
	CU_ASSERT_TRUE(recipe->has_source_date_epoch);
	ASSERT_INT_EQ(recipe->source_date_epoch, 1733000000);
	ASSERT_INT_EQ(recipe->image_count, 2);

	image = &recipe->images[0];
	ASSERT_STR_EQ(image->name, "hello");
	ASSERT_STR_EQ(image->reference, "registry.example.com/acme/hello");
	ASSERT_STR_EQ(image->platform, "linux/arm64/v8");
	ASSERT_INT_EQ(image->base.kind, REPRO_RECIPE_BASE_SCRATCH);
	ASSERT_INT_EQ(image->step_count, 2);
	ASSERT_INT_EQ(image->steps[0].run.count, 3);
	ASSERT_STR_EQ(image->steps[0].run.items[2], "cc -O2 -o out/hello src/hello.c");
	ASSERT_INT_EQ(image->steps[0].env.count, 2);
	ASSERT_STR_EQ(image->steps[0].env.items[1].name, "PATH");
	ASSERT_STR_EQ(image->steps[0].env.items[1].value, "/usr/local/bin:/usr/bin");
	ASSERT_INT_EQ(image->steps[0].timeout_seconds, 900);
	ASSERT_INT_EQ(image->steps[1].timeout_seconds, 600);
	CU_ASSERT_FALSE(image->steps[1].env.present);

	ASSERT_INT_EQ(image->layer_count, 2);
	ASSERT_STR_EQ(image->layers[0].copies[0].from, "out/hello");
	ASSERT_STR_EQ(image->layers[0].copies[0].to, "/usr/bin/hello");
	CU_ASSERT_TRUE(image->layers[0].copies[0].has_mode);
	ASSERT_INT_EQ(image->layers[0].copies[0].mode, 0755);
	CU_ASSERT_FALSE(image->layers[0].copies[0].copy_contents);
	CU_ASSERT_FALSE(image->layers[0].copies[0].into_directory);
	ASSERT_INT_EQ(image->layers[0].copies[0].uid, 0);
	CU_ASSERT_TRUE(image->layers[1].copies[0].copy_contents);
	CU_ASSERT_TRUE(image->layers[1].copies[0].into_directory);
	CU_ASSERT_FALSE(image->layers[1].copies[0].has_mode);
	ASSERT_INT_EQ(image->layers[1].copies[0].uid, 1000);
	ASSERT_INT_EQ(image->layers[1].copies[0].gid, 100);

	ASSERT_STR_EQ(image->config.entrypoint.items[0], "/usr/bin/hello");
	CU_ASSERT_TRUE(image->config.cmd.present);
	ASSERT_INT_EQ(image->config.cmd.count, 0);
	ASSERT_STR_EQ(image->config.env.items[0], "PATH=/usr/bin");
	ASSERT_STR_EQ(image->config.user, "65532:65532");
	ASSERT_STR_EQ(image->config.working_dir, "/");
	ASSERT_STR_EQ(image->config.labels.items[0].value, "v");
	ASSERT_INT_EQ(image->config.exposed_ports.count, 2);
	ASSERT_STR_EQ(image->config.exposed_ports.items[1], "53");
	ASSERT_STR_EQ(image->config.volumes.items[0], "/data");
	ASSERT_STR_EQ(image->config.stop_signal, "SIGTERM");
	ASSERT_STR_EQ(image->annotations.items[0].name, "org.opencontainers.image.title");

	image = repro_recipe_find_image(recipe, "tools");
	CU_ASSERT_PTR_EQUAL(image, &recipe->images[1]);
	if (image != NULL) {
		char digest[REPRO_DIGEST_STRING_MAX];

		ASSERT_STR_EQ(image->platform, "linux/amd64");
		CU_ASSERT_PTR_NULL(image->reference);
		ASSERT_INT_EQ(image->base.kind, REPRO_RECIPE_BASE_LAYOUT);
		ASSERT_STR_EQ(image->base.layout, "vendor/base");
		repro_digest_format(&image->base.digest, digest);
		ASSERT_STR_EQ(digest, HASH_A);
		ASSERT_INT_EQ(image->layer_count, 0);
		ASSERT_INT_EQ(image->step_count, 0);
		CU_ASSERT_FALSE(image->config.entrypoint.present);
		CU_ASSERT_PTR_NULL(image->config.user);
	}
	CU_ASSERT_PTR_NULL(repro_recipe_find_image(recipe, "missing"));
	repro_recipe_free(recipe);
}

/* One image named 'a' from scratch, with the members in between. */
#define IMAGE(members) "{'schemaVersion':1,'images':[{'name':'a','base':'scratch'," members "}]}"
#define LAYER "'layers':[{'copy':[{'from':'f','to':'/f'}]}]"
#define WITH_LAYER(members) IMAGE(LAYER "," members)
#define COPY(fields) IMAGE("'layers':[{'copy':[{'from':'f','to':'/f'},{" fields "}]}]")
#define STEP(fields) WITH_LAYER("'build':[{" fields "}]")
#define CONFIG(fields) WITH_LAYER("'config':{" fields "}")

typedef struct bad_case {
	const char *text;
	int code;
	const char *message;
} bad_case;

static void run_bad_cases(const bad_case *cases, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		repro_recipe *recipe = (repro_recipe *)&recipe;
		repro_error err;

		repro_error_clear(&err);
		ASSERT_CODE(parse_quoted(&recipe, cases[i].text, &err), cases[i].code, &err);
		ASSERT_STR_EQ(err.message, cases[i].message);
		CU_ASSERT_PTR_NULL(recipe);
	}
}

static void test_reject_document(void)
{
	static const bad_case cases[] = {
		{"[]", REPRO_EFORMAT, "the recipe must be a JSON object, found array"},
		{"{'images':[]}", REPRO_EFORMAT, "missing key 'schemaVersion'"},
		{"{'schemaVersion':'1','images':[]}", REPRO_EFORMAT,
		 "'schemaVersion' must be an integer, found string"},
		{"{'schemaVersion':2,'images':[]}", REPRO_EUNSUPPORTED,
		 "'schemaVersion' is 2, but this version of reprocheck reads only schemaVersion 1"},
		{"{'schemaVersion':1,'imgaes':[]}", REPRO_EFORMAT, "unknown key 'imgaes'"},
		{"{'schemaVersion':1}", REPRO_EFORMAT, "missing key 'images'"},
		{"{'schemaVersion':1,'images':[]}", REPRO_EFORMAT, "'images' must not be empty"},
		{"{'schemaVersion':1,'images':{}}", REPRO_EFORMAT, "'images' must be an array, found object"},
		{"{'schemaVersion':1,'images':['a']}", REPRO_EFORMAT, "'images[0]' must be an object, found string"},
		{"{'schemaVersion':1,'sourceDateEpoch':-1,'images':[]}", REPRO_EFORMAT,
		 "'sourceDateEpoch' must be between 0 and 253402300799, found -1"},
		{"{'schemaVersion':1,'sourceDateEpoch':253402300800,'images':[]}", REPRO_EFORMAT,
		 "'sourceDateEpoch' must be between 0 and 253402300799, found 253402300800"},
		{"{'schemaVersion':1,'sourceDateEpoch':1.5,'images':[]}", REPRO_EFORMAT,
		 "'sourceDateEpoch' must be an integer, found number"},
		{"{'schemaVersion':1,'schemaVersion':1}", REPRO_EFORMAT,
		 "malformed recipe: duplicate object key near '\"schemaVersion\"' at line 1, column 34"},
		{"{'schemaVersion':1,'images':[{'name':'a','base':'scratch'," LAYER "},"
		 "{'name':'b','base':'scratch','layers':[{'copy':[{'from':'f','to':'/f'},"
		 "{'from':'f','to':'/f'},{'form':'f','to':'/f'}]}]}]}",
		 REPRO_EFORMAT, "unknown key 'images[1].layers[0].copy[2].form'"},
		{"{'schemaVersion':1,'images':[{'name':'a','base':'scratch'," LAYER "},"
		 "{'name':'b','base':'scratch'," LAYER "},{'name':'a','base':'scratch'," LAYER "}]}",
		 REPRO_EFORMAT, "'images[2].name': duplicate image name 'a', already used by images[0]"},
	};
	run_bad_cases(cases, REPRO_ARRAY_SIZE(cases));
}

static void test_reject_image(void)
{
	static const bad_case cases[] = {
		{"{'schemaVersion':1,'images':[{'base':'scratch'," LAYER "}]}", REPRO_EFORMAT,
		 "missing key 'images[0].name'"},
		{"{'schemaVersion':1,'images':[{'name':'Hello','base':'scratch'," LAYER "}]}", REPRO_EFORMAT,
		 "'images[0].name' must match [a-z0-9][a-z0-9._-]* and be at most 128 bytes long, found 'Hello'"},
		{"{'schemaVersion':1,'images':[{'name':'-a','base':'scratch'," LAYER "}]}", REPRO_EFORMAT,
		 "'images[0].name' must match [a-z0-9][a-z0-9._-]* and be at most 128 bytes long, found '-a'"},
		{WITH_LAYER("'nmae':'x'"), REPRO_EFORMAT, "unknown key 'images[0].nmae'"},
		{WITH_LAYER("'reference':''"), REPRO_EFORMAT, "'images[0].reference' must not be empty"},
		{WITH_LAYER("'reference':'a b'"), REPRO_EFORMAT,
		 "'images[0].reference' must not contain whitespace or control characters, found 'a b'"},
		{WITH_LAYER("'reference':'example.com/a:v1'"), REPRO_EFORMAT,
		 "'images[0].reference' must name a repository without a tag or digest, found 'example.com/a:v1'"},
		{WITH_LAYER("'reference':'a@" HASH_A "'"), REPRO_EFORMAT,
		 "'images[0].reference' must name a repository without a tag or digest, found 'a@" HASH_A "'"},
		{WITH_LAYER("'platform':'linux'"), REPRO_EFORMAT,
		 "'images[0].platform' must be OS/ARCH or OS/ARCH/VARIANT in lower case, such as linux/arm64/v8, found 'linux'"},
		{WITH_LAYER("'platform':'Linux/amd64'"), REPRO_EFORMAT,
		 "'images[0].platform' must be OS/ARCH or OS/ARCH/VARIANT in lower case, such as linux/arm64/v8, found 'Linux/amd64'"},
		{WITH_LAYER("'platform':'linux/arm/v7/x'"), REPRO_EFORMAT,
		 "'images[0].platform' must be OS/ARCH or OS/ARCH/VARIANT in lower case, such as linux/arm64/v8, found 'linux/arm/v7/x'"},
		{WITH_LAYER("'platform':'linux//amd64'"), REPRO_EFORMAT,
		 "'images[0].platform' must be OS/ARCH or OS/ARCH/VARIANT in lower case, such as linux/arm64/v8, found 'linux//amd64'"},
		{WITH_LAYER("'annotations':{'a':1}"), REPRO_EFORMAT,
		 "'images[0].annotations.a' must be a string, found integer"},
		{WITH_LAYER("'annotations':{'':'x'}"), REPRO_EFORMAT,
		 "'images[0].annotations' must not have an empty key"},
		{WITH_LAYER("'annotations':[]"), REPRO_EFORMAT,
		 "'images[0].annotations' must be an object, found array"},
	};
	run_bad_cases(cases, REPRO_ARRAY_SIZE(cases));
}

#define BASE(value) "{'schemaVersion':1,'images':[{'name':'a','base':" value "}]}"

static void test_reject_base(void)
{
	static const bad_case cases[] = {
		{"{'schemaVersion':1,'images':[{'name':'a'," LAYER "}]}", REPRO_EFORMAT,
		 "missing key 'images[0].base'"},
		{BASE("'alpine'"), REPRO_EFORMAT,
		 "'images[0].base' must be \"scratch\" or an object with layout and digest, found 'alpine'"},
		{BASE("1"), REPRO_EFORMAT,
		 "'images[0].base' must be \"scratch\" or an object with layout and digest, found integer"},
		{BASE("{'layout':'b'}"), REPRO_EFORMAT, "missing key 'images[0].base.digest'"},
		{BASE("{'digest':'" HASH_A "'}"), REPRO_EFORMAT, "missing key 'images[0].base.layout'"},
		{BASE("{'layout':'b','digest':'" HASH_A "','tag':'x'}"), REPRO_EFORMAT,
		 "unknown key 'images[0].base.tag'"},
		{BASE("{'layout':'b','digest':'sha256:abc'}"), REPRO_EFORMAT,
		 "'images[0].base.digest': invalid digest 'sha256:abc': sha256 needs 64 hex digits, found 3"},
		{BASE("{'layout':'b','digest':'md5:abc'}"), REPRO_EUNSUPPORTED,
		 "'images[0].base.digest': unsupported digest algorithm 'md5' in 'md5:abc': only sha256 and sha512 are verified"},
		{BASE("{'layout':'/b','digest':'" HASH_A "'}"), REPRO_EUNSAFE,
		 "'images[0].base.layout' must be a relative path, found the absolute path '/b'"},
		{BASE("{'layout':'b/../../c','digest':'" HASH_A "'}"), REPRO_EUNSAFE,
		 "'images[0].base.layout' must not contain '..' components, found 'b/../../c'"},
		{IMAGE("'layers':[]"), REPRO_EFORMAT,
		 "'images[0].layers' must have at least one layer when base is \"scratch\""},
		{"{'schemaVersion':1,'images':[{'name':'a','base':'scratch'}]}", REPRO_EFORMAT,
		 "'images[0].layers' must have at least one layer when base is \"scratch\""},
	};
	run_bad_cases(cases, REPRO_ARRAY_SIZE(cases));
}

static void test_reject_copy(void)
{
	static const bad_case cases[] = {
		{IMAGE("'layers':[1]"), REPRO_EFORMAT, "'images[0].layers[0]' must be an object, found integer"},
		{IMAGE("'layers':[{}]"), REPRO_EFORMAT, "missing key 'images[0].layers[0].copy'"},
		{IMAGE("'layers':[{'copy':[]}]"), REPRO_EFORMAT, "'images[0].layers[0].copy' must not be empty"},
		{IMAGE("'layers':[{'copy':[],'add':[]}]"), REPRO_EFORMAT, "unknown key 'images[0].layers[0].add'"},
		{COPY("'to':'/x'"), REPRO_EFORMAT, "missing key 'images[0].layers[0].copy[1].from'"},
		{COPY("'from':'x'"), REPRO_EFORMAT, "missing key 'images[0].layers[0].copy[1].to'"},
		{COPY("'from':'','to':'/x'"), REPRO_EFORMAT, "'images[0].layers[0].copy[1].from' must not be empty"},
		{COPY("'from':'/etc/passwd','to':'/x'"), REPRO_EUNSAFE,
		 "'images[0].layers[0].copy[1].from' must be a relative path, found the absolute path '/etc/passwd'"},
		{COPY("'from':'..','to':'/x'"), REPRO_EUNSAFE,
		 "'images[0].layers[0].copy[1].from' must not contain '..' components, found '..'"},
		{COPY("'from':'out/../../x','to':'/x'"), REPRO_EUNSAFE,
		 "'images[0].layers[0].copy[1].from' must not contain '..' components, found 'out/../../x'"},
		{COPY("'from':'out/..','to':'/x'"), REPRO_EUNSAFE,
		 "'images[0].layers[0].copy[1].from' must not contain '..' components, found 'out/..'"},
		{COPY("'from':'./a','to':'/x'"), REPRO_EFORMAT,
		 "'images[0].layers[0].copy[1].from' must be a normalised path without empty or '.' components, found './a'"},
		{COPY("'from':'a//b','to':'/x'"), REPRO_EFORMAT,
		 "'images[0].layers[0].copy[1].from' must be a normalised path without empty or '.' components, found 'a//b'"},
		{COPY("'from':'a\\nb','to':'/x'"), REPRO_EFORMAT,
		 "'images[0].layers[0].copy[1].from' contains the control character 0x0a"},
		{COPY("'from':'a','to':'usr/bin/a'"), REPRO_EFORMAT,
		 "'images[0].layers[0].copy[1].to' must be an absolute path, found 'usr/bin/a'"},
		{COPY("'from':'a','to':'/usr/../etc/a'"), REPRO_EUNSAFE,
		 "'images[0].layers[0].copy[1].to' must not contain '..' components, found '/usr/../etc/a'"},
		{COPY("'from':'a','to':'//a'"), REPRO_EFORMAT,
		 "'images[0].layers[0].copy[1].to' must be a normalised path without empty or '.' components, found '//a'"},
		{COPY("'from':'a','to':'/a','mode':'999'"), REPRO_EFORMAT,
		 "'images[0].layers[0].copy[1].mode' must be a string of octal digits from \"0\" to \"07777\", such as \"0755\", found '999'"},
		{COPY("'from':'a','to':'/a','mode':'010000'"), REPRO_EFORMAT,
		 "'images[0].layers[0].copy[1].mode' must be a string of octal digits from \"0\" to \"07777\", such as \"0755\", found '010000'"},
		{COPY("'from':'a','to':'/a','mode':'17777'"), REPRO_EFORMAT,
		 "'images[0].layers[0].copy[1].mode' must be a string of octal digits from \"0\" to \"07777\", such as \"0755\", found '17777'"},
		{COPY("'from':'a','to':'/a','mode':''"), REPRO_EFORMAT,
		 "'images[0].layers[0].copy[1].mode' must be a string of octal digits from \"0\" to \"07777\", such as \"0755\", found ''"},
		{COPY("'from':'a','to':'/a','mode':493"), REPRO_EFORMAT,
		 "'images[0].layers[0].copy[1].mode' must be a string, found integer"},
		{COPY("'from':'a','to':'/a','uid':-1"), REPRO_EFORMAT,
		 "'images[0].layers[0].copy[1].uid' must be between 0 and 2147483647, found -1"},
		{COPY("'from':'a','to':'/a','gid':2147483648"), REPRO_EFORMAT,
		 "'images[0].layers[0].copy[1].gid' must be between 0 and 2147483647, found 2147483648"},
		{COPY("'from':'a','to':'/a','uid':'0'"), REPRO_EFORMAT,
		 "'images[0].layers[0].copy[1].uid' must be an integer, found string"},
	};
	run_bad_cases(cases, REPRO_ARRAY_SIZE(cases));
}

static void test_reject_step(void)
{
	static const bad_case cases[] = {
		{WITH_LAYER("'build':{}"), REPRO_EFORMAT, "'images[0].build' must be an array, found object"},
		{WITH_LAYER("'build':['make']"), REPRO_EFORMAT,
		 "'images[0].build[0]' must be an object, found string"},
		{STEP("'env':{}"), REPRO_EFORMAT, "missing key 'images[0].build[0].run'"},
		{STEP("'run':[]"), REPRO_EFORMAT, "'images[0].build[0].run' must not be empty"},
		{STEP("'run':''"), REPRO_EFORMAT, "'images[0].build[0].run' must be an array, found string"},
		{STEP("'run':['']"), REPRO_EFORMAT, "'images[0].build[0].run[0]' must not be empty"},
		{STEP("'run':['sh',1]"), REPRO_EFORMAT,
		 "'images[0].build[0].run[1]' must be a string, found integer"},
		{STEP("'run':['make'],'cmd':[]"), REPRO_EFORMAT, "unknown key 'images[0].build[0].cmd'"},
		{STEP("'run':['make'],'env':{'1X':'a'}"), REPRO_EFORMAT,
		 "'images[0].build[0].env' contains the invalid variable name '1X': expected [A-Za-z_][A-Za-z0-9_]*"},
		{STEP("'run':['make'],'env':{'A-B':'a'}"), REPRO_EFORMAT,
		 "'images[0].build[0].env' contains the invalid variable name 'A-B': expected [A-Za-z_][A-Za-z0-9_]*"},
		{STEP("'run':['make'],'env':{'SOURCE_DATE_EPOCH':'1'}"), REPRO_EFORMAT,
		 "'images[0].build[0].env.SOURCE_DATE_EPOCH' must not be set: use the top-level sourceDateEpoch"},
		{STEP("'run':['make'],'env':{'A':1}"), REPRO_EFORMAT,
		 "'images[0].build[0].env.A' must be a string, found integer"},
		{STEP("'run':['make'],'timeoutSeconds':0"), REPRO_EFORMAT,
		 "'images[0].build[0].timeoutSeconds' must be between 1 and 86400, found 0"},
		{STEP("'run':['make'],'timeoutSeconds':86401"), REPRO_EFORMAT,
		 "'images[0].build[0].timeoutSeconds' must be between 1 and 86400, found 86401"},
		{STEP("'run':['make'],'timeoutSeconds':'60'"), REPRO_EFORMAT,
		 "'images[0].build[0].timeoutSeconds' must be an integer, found string"},
	};
	run_bad_cases(cases, REPRO_ARRAY_SIZE(cases));
}

static void test_reject_config(void)
{
	static const bad_case cases[] = {
		{WITH_LAYER("'config':[]"), REPRO_EFORMAT, "'images[0].config' must be an object, found array"},
		{CONFIG("'Entrypont':[]"), REPRO_EFORMAT, "unknown key 'images[0].config.Entrypont'"},
		{CONFIG("'Healthcheck':{}"), REPRO_EFORMAT, "unknown key 'images[0].config.Healthcheck'"},
		{CONFIG("'Entrypoint':'/bin/sh'"), REPRO_EFORMAT,
		 "'images[0].config.Entrypoint' must be an array, found string"},
		{CONFIG("'Cmd':[null]"), REPRO_EFORMAT, "'images[0].config.Cmd[0]' must be a string, found null"},
		{CONFIG("'Env':['A=1','FOO']"), REPRO_EFORMAT,
		 "'images[0].config.Env[1]' must have the form NAME=VALUE, found 'FOO'"},
		{CONFIG("'Env':['=x']"), REPRO_EFORMAT,
		 "'images[0].config.Env[0]' must have the form NAME=VALUE, found '=x'"},
		{CONFIG("'User':0"), REPRO_EFORMAT, "'images[0].config.User' must be a string, found integer"},
		{CONFIG("'WorkingDir':[]"), REPRO_EFORMAT,
		 "'images[0].config.WorkingDir' must be a string, found array"},
		{CONFIG("'Labels':{'a':true}"), REPRO_EFORMAT,
		 "'images[0].config.Labels.a' must be a string, found boolean"},
		{CONFIG("'ExposedPorts':{'80/xyz':{}}"), REPRO_EFORMAT,
		 "'images[0].config.ExposedPorts' contains the invalid port '80/xyz': expected PORT, PORT/tcp, PORT/udp or PORT/sctp with PORT 1 to 65535"},
		{CONFIG("'ExposedPorts':{'0':{}}"), REPRO_EFORMAT,
		 "'images[0].config.ExposedPorts' contains the invalid port '0': expected PORT, PORT/tcp, PORT/udp or PORT/sctp with PORT 1 to 65535"},
		{CONFIG("'ExposedPorts':{'65536/tcp':{}}"), REPRO_EFORMAT,
		 "'images[0].config.ExposedPorts' contains the invalid port '65536/tcp': expected PORT, PORT/tcp, PORT/udp or PORT/sctp with PORT 1 to 65535"},
		{CONFIG("'ExposedPorts':{'80/tcp':true}"), REPRO_EFORMAT,
		 "'images[0].config.ExposedPorts.80/tcp' must be an empty object {}, found boolean"},
		{CONFIG("'ExposedPorts':['80/tcp']"), REPRO_EFORMAT,
		 "'images[0].config.ExposedPorts' must be an object, found array"},
		{CONFIG("'Volumes':{'data':{}}"), REPRO_EFORMAT,
		 "'images[0].config.Volumes.data' must be an absolute path, found 'data'"},
		{CONFIG("'Volumes':{'/data':{'x':1}}"), REPRO_EFORMAT,
		 "'images[0].config.Volumes./data' must be an empty object {}, found object"},
		{CONFIG("'StopSignal':''"), REPRO_EFORMAT,
		 "'images[0].config.StopSignal' must be a signal name or number without spaces, found ''"},
	};
	run_bad_cases(cases, REPRO_ARRAY_SIZE(cases));
}

/* Appends @p count copies of @p item, separated by commas, to @p out. */
static char *repeat_join(const char *head, const char *item, size_t count, const char *tail)
{
	size_t item_length = strlen(item);
	size_t size = strlen(head) + count * (item_length + 1) + strlen(tail) + 1;
	char *out = malloc(size);
	char *cursor = out;

	cursor += sprintf(cursor, "%s", head);
	for (size_t i = 0; i < count; i++) {
		if (i > 0)
			*cursor++ = ',';
		memcpy(cursor, item, item_length);
		cursor += item_length;
	}
	sprintf(cursor, "%s", tail);
	return out;
}

static void test_limits(void)
{
	repro_recipe *recipe = NULL;
	repro_error err;
	char *text, *name;
	size_t huge = REPRO_RECIPE_MAX_BYTES + 1;

	text = malloc(huge);
	memset(text, ' ', huge);
	ASSERT_CODE(repro_recipe_parse(&recipe, text, huge, &err), REPRO_ELIMIT, &err);
	ASSERT_STR_EQ(err.message, "recipe is 1048577 bytes, more than the limit of 1048576");
	free(text);

	text = repeat_join("{'schemaVersion':1,'images':[", "{}", 257, "]}");
	ASSERT_CODE(parse_quoted(&recipe, text, &err), REPRO_ELIMIT, &err);
	ASSERT_STR_EQ(err.message, "'images' has 257 entries, more than the limit of 256");
	free(text);

	text = repeat_join("{'schemaVersion':1,'images':[{'name':'a','base':'scratch'," LAYER
	                   ",'build':[{'run':[", "'a'", 4097, "]}]}]}");
	ASSERT_CODE(parse_quoted(&recipe, text, &err), REPRO_ELIMIT, &err);
	ASSERT_STR_EQ(err.message, "'images[0].build[0].run' has 4097 entries, more than the limit of 4096");
	free(text);

	name = malloc(130);
	memset(name, 'a', 129);
	name[129] = '\0';
	text = malloc(400);
	snprintf(text, 400, "{'schemaVersion':1,'images':[{'name':'%s','base':'scratch'," LAYER "}]}", name);
	ASSERT_CODE(parse_quoted(&recipe, text, &err), REPRO_EFORMAT, &err);
	ASSERT_STR_CONTAINS(err.message, "'images[0].name' must match [a-z0-9][a-z0-9._-]* and be at most 128 bytes long");
	name[128] = '\0';
	snprintf(text, 400, "{'schemaVersion':1,'images':[{'name':'%s','base':'scratch'," LAYER "}]}", name);
	ASSERT_OK(parse_quoted(&recipe, text, &err), &err);
	repro_recipe_free(recipe);
	free(text);
	free(name);

	name = malloc(4100);
	memset(name, 'a', 4097);
	name[4097] = '\0';
	text = malloc(4300);
	snprintf(text, 4300, IMAGE("'layers':[{'copy':[{'from':'%s','to':'/a'}]}]"), name);
	ASSERT_CODE(parse_quoted(&recipe, text, &err), REPRO_ELIMIT, &err);
	ASSERT_STR_EQ(err.message,
	              "'images[0].layers[0].copy[0].from' is 4097 bytes long, more than the limit of 4096");
	free(text);
	free(name);
}

static void test_load_file(void)
{
	char *dir = repro_test_make_dir();
	char path[4096];
	repro_recipe *recipe = NULL;
	repro_error err;
	char *json = quotes_to_json(IMAGE("'layers':[{'copy':[{'from':'f','to':'/f'}]}],'x':1"));

	snprintf(path, sizeof(path), "%s/reprocheck.json", dir);
	ASSERT_CODE(repro_recipe_load(&recipe, path, &err), REPRO_ENOTFOUND, &err);
	ASSERT_STR_CONTAINS(err.message, "reading the recipe: opening '");
	ASSERT_STR_CONTAINS(err.message, "reprocheck.json' failed: No such file or directory");

	repro_test_write_file(path, json, strlen(json));
	ASSERT_CODE(repro_recipe_load(&recipe, path, &err), REPRO_EFORMAT, &err);
	ASSERT_STR_CONTAINS(err.message, "reprocheck.json': unknown key 'images[0].x'");
	CU_ASSERT_PTR_NULL(recipe);
	free(json);
	repro_test_cleanup_dir(dir);
}

/* Builds DIR/tree with files, in-tree links and links that escape to
 * DIR/outside or to /etc. Returns DIR/tree in @p tree. */
static void make_tree(const char *dir, char *tree, size_t tree_size)
{
	static const struct {
		const char *target;
		const char *name;
	} links[] = {
		{"/etc", "tree/etc-link"},
		{"../outside", "tree/up"},
		{"assets/../../outside", "tree/up2"},
		{"assets", "tree/inner"},
		{"out/hello", "tree/inner-file"},
		{"../out", "tree/assets/back"},
		{".", "tree/self"},
		{"loop-b", "tree/loop-a"},
		{"loop-a", "tree/loop-b"},
		{"missing", "tree/dangling"},
	};
	static const char *const directories[] = {"tree", "tree/out", "tree/assets", "outside"};
	char path[4096];

	for (size_t i = 0; i < REPRO_ARRAY_SIZE(directories); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, directories[i]);
		CU_ASSERT_EQUAL_FATAL(mkdir(path, 0755), 0);
	}
	snprintf(path, sizeof(path), "%s/tree/out/hello", dir);
	repro_test_write_file(path, "hello", 5);
	snprintf(path, sizeof(path), "%s/tree/assets/a.txt", dir);
	repro_test_write_file(path, "a", 1);
	snprintf(path, sizeof(path), "%s/outside/secret", dir);
	repro_test_write_file(path, "secret", 6);
	snprintf(path, sizeof(path), "%s/tree/fifo", dir);
	CU_ASSERT_EQUAL_FATAL(mkfifo(path, 0644), 0);
	for (size_t i = 0; i < REPRO_ARRAY_SIZE(links); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, links[i].name);
		CU_ASSERT_EQUAL_FATAL(symlink(links[i].target, path), 0);
	}
	snprintf(tree, tree_size, "%s/tree", dir);
}

static void test_open_source(void)
{
	static const struct {
		const char *from;
		int code;
		const char *message;  /* NULL: success; "file" or "dir" in type */
		const char *type;
	} cases[] = {
		{"out/hello", REPRO_OK, NULL, "file"},
		{"assets/", REPRO_OK, NULL, "dir"},
		{"assets", REPRO_OK, NULL, "dir"},
		{"inner/a.txt", REPRO_OK, NULL, "file"},
		{"inner/", REPRO_OK, NULL, "dir"},
		{"inner-file", REPRO_OK, NULL, "file"},
		{"assets/back/hello", REPRO_OK, NULL, "file"},
		{"self/out/hello", REPRO_OK, NULL, "file"},
		{"etc-link/passwd", REPRO_EUNSAFE,
		 "source 'etc-link/passwd' leaves the build tree through the symbolic link 'etc-link' -> '/etc'", NULL},
		{"etc-link", REPRO_EUNSAFE,
		 "source 'etc-link' leaves the build tree through the symbolic link 'etc-link' -> '/etc'", NULL},
		{"up/secret", REPRO_EUNSAFE,
		 "source 'up/secret' leaves the build tree through the symbolic link 'up' -> '../outside'", NULL},
		{"up2/secret", REPRO_EUNSAFE,
		 "source 'up2/secret' leaves the build tree through the symbolic link 'up2' -> 'assets/../../outside'", NULL},
		{"inner/back/../../up/secret", REPRO_EUNSAFE,
		 "'source' must not contain '..' components, found 'inner/back/../../up/secret'", NULL},
		{"../outside/secret", REPRO_EUNSAFE,
		 "'source' must not contain '..' components, found '../outside/secret'", NULL},
		{"/etc/passwd", REPRO_EUNSAFE,
		 "'source' must be a relative path, found the absolute path '/etc/passwd'", NULL},
		{"missing", REPRO_ENOTFOUND, "source 'missing' not found in the build tree", NULL},
		{"out/missing/", REPRO_ENOTFOUND, "source 'out/missing/' not found in the build tree", NULL},
		{"dangling", REPRO_ENOTFOUND, "source 'dangling' not found in the build tree", NULL},
		{"out/hello/", REPRO_EFORMAT, "source 'out/hello/' ends in '/' but is not a directory", NULL},
		{"out/hello/x", REPRO_ENOTFOUND,
		 "source 'out/hello/x' not found in the build tree: 'hello' is not a directory", NULL},
		{"loop-a", REPRO_ELIMIT, "source 'loop-a' passes through more than 40 symbolic links", NULL},
		{"fifo", REPRO_EFORMAT,
		 "source 'fifo' is a named pipe; only regular files and directories can be copied", NULL},
	};
	char *dir = repro_test_make_dir();
	char tree[4096];
	int tree_fd;

	make_tree(dir, tree, sizeof(tree));
	tree_fd = open(tree, O_PATH | O_DIRECTORY | O_CLOEXEC);
	CU_ASSERT_FATAL(tree_fd >= 0);
	for (size_t i = 0; i < REPRO_ARRAY_SIZE(cases); i++) {
		repro_error err;
		struct stat info;
		int fd = -2;

		repro_error_clear(&err);
		ASSERT_CODE(repro_recipe_open_source(tree_fd, cases[i].from, &fd, &err), cases[i].code, &err);
		if (cases[i].code != REPRO_OK) {
			ASSERT_STR_EQ(err.message, cases[i].message);
			ASSERT_INT_EQ(fd, -1);
			continue;
		}
		CU_ASSERT_FATAL(fd >= 0);
		CU_ASSERT_EQUAL(fstat(fd, &info), 0);
		if (strcmp(cases[i].type, "dir") == 0)
			REPRO_CHECK(S_ISDIR(info.st_mode), "'%s' is not a directory", cases[i].from);
		else
			REPRO_CHECK(S_ISREG(info.st_mode), "'%s' is not a regular file", cases[i].from);
		close(fd);
	}
	close(tree_fd);
	repro_test_cleanup_dir(dir);
}

static void test_open_source_reads_file(void)
{
	char *dir = repro_test_make_dir();
	char tree[4096], buffer[16] = {0};
	repro_error err;
	int tree_fd, fd = -1;

	make_tree(dir, tree, sizeof(tree));
	tree_fd = open(tree, O_PATH | O_DIRECTORY | O_CLOEXEC);
	ASSERT_OK(repro_recipe_open_source(tree_fd, "assets/back/hello", &fd, &err), &err);
	ASSERT_INT_EQ(read(fd, buffer, sizeof(buffer)), 5);
	ASSERT_STR_EQ(buffer, "hello");
	close(fd);
	close(tree_fd);
	repro_test_cleanup_dir(dir);
}

static void test_check_sources(void)
{
	static const char good[] = IMAGE(
		"'layers':[{'copy':[{'from':'out/hello','to':'/hello'},{'from':'assets/','to':'/a/'}]},"
		"{'copy':[{'from':'inner/a.txt','to':'/a.txt'}]}]");
	static const char escaping[] = IMAGE(
		"'layers':[{'copy':[{'from':'out/hello','to':'/hello'}]},"
		"{'copy':[{'from':'assets/','to':'/a/'},{'from':'up/secret','to':'/s'}]}]");
	char *dir = repro_test_make_dir();
	char tree[4096], missing[4200];
	repro_recipe *recipe = NULL;
	repro_error err;

	make_tree(dir, tree, sizeof(tree));
	ASSERT_OK(parse_quoted(&recipe, good, &err), &err);
	ASSERT_OK(repro_recipe_check_sources(recipe, tree, &err), &err);
	snprintf(missing, sizeof(missing), "%s/missing", dir);
	ASSERT_CODE(repro_recipe_check_sources(recipe, missing, &err), REPRO_ENOTFOUND, &err);
	ASSERT_STR_CONTAINS(err.message, "missing' failed: No such file or directory");
	repro_recipe_free(recipe);

	ASSERT_OK(parse_quoted(&recipe, escaping, &err), &err);
	ASSERT_CODE(repro_recipe_check_sources(recipe, tree, &err), REPRO_EUNSAFE, &err);
	ASSERT_STR_EQ(err.message, "'images[0].layers[1].copy[1].from': source 'up/secret' leaves "
	                           "the build tree through the symbolic link 'up' -> '../outside'");
	repro_recipe_free(recipe);
	repro_test_cleanup_dir(dir);
}

int main(void)
{
	static const repro_test_case cases[] = {
		{"parse full recipe", test_parse_full_recipe},
		{"reject bad document", test_reject_document},
		{"reject bad image", test_reject_image},
		{"reject bad base", test_reject_base},
		{"reject bad copy", test_reject_copy},
		{"reject bad build step", test_reject_step},
		{"reject bad config", test_reject_config},
		{"limits", test_limits},
		{"load from file", test_load_file},
		{"open source resolves in tree", test_open_source},
		{"open source reads file", test_open_source_reads_file},
		{"check sources names key path", test_check_sources},
	};
	return repro_test_main("recipe", cases, REPRO_ARRAY_SIZE(cases));
}
