package com.allocationservice;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.ArchConfiguration;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The dependency rule of STYLE.md: arrows point inward, nothing depends on bootstrap, and only
 * bootstrap names concrete adapters. Every rule selects at least one class (archunit.properties sets
 * archRule.failOnEmptyShould) and every layer package must hold a class, so no rule passes vacuously.
 */
@AnalyzeClasses(packages = ArchitectureTest.BASE, importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

    static final String BASE = "com.allocationservice";
    static final List<String> LAYERS = List.of("domain", "service", "adapters", "views", "entrypoints", "config",
            "bootstrap");

    private static final String DOMAIN = BASE + ".domain..";
    private static final String SERVICE = BASE + ".service..";
    private static final String ADAPTERS = BASE + ".adapters..";
    private static final String VIEWS = BASE + ".views..";
    private static final String ENTRYPOINTS = BASE + ".entrypoints..";
    private static final String CONFIG = BASE + ".config..";
    private static final String BOOTSTRAP = BASE + ".bootstrap..";

    @ArchTest
    static final ArchRule domain_depends_on_java_only = classes()
            .that().resideInAPackage(DOMAIN)
            .should().onlyDependOnClassesThat().resideInAnyPackage("java..", DOMAIN)
            .because("the domain is plain Java (STYLE.md: depends on java.* only)");

    @ArchTest
    static final ArchRule service_depends_on_the_domain_only = classes()
            .that().resideInAPackage(SERVICE)
            .should().onlyDependOnClassesThat().resideInAnyPackage("java..", "org.slf4j..", DOMAIN, SERVICE)
            .because("ports live in the service layer; their implementations in adapters");

    @ArchTest
    static final ArchRule entrypoints_never_touch_adapters_or_bootstrap = noClasses()
            .that().resideInAPackage(ENTRYPOINTS)
            .should().dependOnClassesThat().resideInAnyPackage(ADAPTERS, BOOTSTRAP)
            .because("entrypoints call the bus and the views only");

    @ArchTest
    static final ArchRule nothing_depends_on_bootstrap = noClasses()
            .that().resideOutsideOfPackage(BOOTSTRAP)
            .should().dependOnClassesThat().resideInAPackage(BOOTSTRAP)
            .because("bootstrap is the composition root");

    @ArchTest
    static final ArchRule only_bootstrap_names_concrete_adapters = noClasses()
            .that().resideOutsideOfPackages(ADAPTERS, BOOTSTRAP)
            .should().dependOnClassesThat().resideInAPackage(ADAPTERS)
            .because("everything else sees adapters through the service layer's ports");

    @ArchTest
    static final ArchRule adapters_do_not_depend_on_entrypoints_or_views = noClasses()
            .that().resideInAPackage(ADAPTERS)
            .should().dependOnClassesThat().resideInAnyPackage(ENTRYPOINTS, VIEWS)
            .because("adapters implement ports; they are not driven by entrypoints");

    @ArchTest
    static final ArchRule views_do_not_depend_on_adapters_or_entrypoints = noClasses()
            .that().resideInAPackage(VIEWS)
            .should().dependOnClassesThat().resideInAnyPackage(ADAPTERS, ENTRYPOINTS)
            .because("the read side is plain queries returning records");

    @ArchTest
    static final ArchRule config_depends_on_no_other_layer = noClasses()
            .that().resideInAPackage(CONFIG)
            .should().dependOnClassesThat().resideInAnyPackage(DOMAIN, SERVICE, ADAPTERS, VIEWS, ENTRYPOINTS)
            .because("settings are read from the environment and handed to bootstrap");

    @ArchTest
    static final ArchRule no_generic_names = noClasses()
            .should().haveSimpleNameEndingWith("Impl")
            .orShould().haveSimpleNameEndingWith("Manager")
            .orShould().haveSimpleNameStartingWith("Abstract")
            .because("STYLE.md: name classes for what they do");

    @ArchTest
    static void every_layer_package_holds_a_class(JavaClasses imported) {
        Map<String, Long> classesPerLayer = new TreeMap<>();
        for (String layer : LAYERS) {
            String layerPackage = BASE + "." + layer;
            classesPerLayer.put(layer, imported.stream()
                    .filter(c -> c.getPackageName().equals(layerPackage)
                            || c.getPackageName().startsWith(layerPackage + "."))
                    .filter(c -> !c.getSimpleName().equals("package-info"))
                    .count());
        }
        assertThat(classesPerLayer).as("classes in each layer package of " + BASE)
                .allSatisfy((layer, count) -> assertThat(count).as(layer).isPositive());
    }

    @ArchTest
    static void no_class_lives_outside_the_layers(JavaClasses imported) {
        assertThat(imported.stream().map(JavaClass::getPackageName).distinct())
                .allSatisfy(pkg -> assertThat(LAYERS.stream().anyMatch(
                        layer -> pkg.equals(BASE + "." + layer) || pkg.startsWith(BASE + "." + layer + ".")))
                        .as("package %s is one of the layers %s", pkg, LAYERS).isTrue());
    }

    @ArchTest
    static void rules_that_select_nothing_fail(JavaClasses imported) {
        assertThat(ArchConfiguration.get().getProperty("archRule.failOnEmptyShould")).isEqualTo("true");
    }
}
